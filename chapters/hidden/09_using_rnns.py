# Hidden checks of chapter 09_using_rnns, the instructor's grading tests
# (docs/instructors.md).
# rnnkit inserts each cell after the visible check of its exercise when it builds the instructor
# edition or grades a submission; the student edition never contains them. A public fork of the
# course can delete this folder: the student notebooks do not need it.


# %% hidden_check="use_top_p"
### BEGIN HIDDEN TESTS
from rnnkit.course import hidden_check

with hidden_check("use_top_p") as t:
    # The temperature is applied before the cut.
    logits = np.array([2.0, 1.0, 0.0, -1.0])
    soft = np.exp(logits / 2.0) / np.exp(logits / 2.0).sum()  # 0.44, 0.27, 0.16, 0.10
    t.close(t.call(use_top_p, logits, 0.8, temperature=2.0), np.r_[soft[:3], 0] / soft[:3].sum())
    # Large logits, ties (the lower id wins), p = 1 keeps everything, -inf logits.
    t.close(t.call(use_top_p, np.array([1000.0, 999.0, 0.0]), 0.5), [1.0, 0.0, 0.0])
    t.close(t.call(use_top_p, np.array([2.0, 2.0, 1.0]), 0.3), [1.0, 0.0, 0.0])
    t.close(t.call(use_top_p, np.array([2.0, 2.0, 1.0]), 0.6), [0.5, 0.5, 0.0])
    t.close(t.call(use_top_p, logits, 1.0), np.exp(logits) / np.exp(logits).sum())
    t.close(t.call(use_top_p, np.array([0.0, -np.inf, 0.0]), 1.0), [0.5, 0.0, 0.5])
    for bad in ({"p": 0.0}, {"p": 1.5}, {"p": 0.5, "temperature": 0.0}):
        t.raises(ValueError, use_top_p, logits, **bad)
### END HIDDEN TESTS


# %% hidden_check="use_adding_data"
### BEGIN HIDDEN TESTS
from rnnkit.course import hidden_check

with hidden_check("use_adding_data") as t:
    # Uneven segments (0-2, 3-5, 6-9); every position of a segment gets drawn in 600 rows.
    inputs, _ = check_adding_batch(t, use_adding_data, 1, 600, 10, 3)
    used = inputs[..., 1].sum(axis=0)
    t.true(np.all(used > 0), "every position is marked in some row of 600 (uniform positions)")
    t.true(len(np.unique(inputs[:, 0, 0])) > 500, "the values differ from row to row")
    check_adding_batch(t, use_adding_data, 2, 5, 7, 1)
    # Every step marked: the target is the sum of all values.
    inputs, targets = check_adding_batch(t, use_adding_data, 3, 4, 5, 5)
    t.close(targets, inputs[..., 0].sum(axis=1), tested="targets when every step is marked")
    # The generator is used: other seeds, other data.
    a = check_adding_batch(t, use_adding_data, 4, 6, 12, 2)[0]
    b = check_adding_batch(t, use_adding_data, 5, 6, 12, 2)[0]
    t.true(not np.array_equal(a, b), "two different seeds give different batches")
    for bad in (0, 11):
        t.raises(ValueError, use_adding_data, np.random.default_rng(0), 2, 10, num_marked=bad)
### END HIDDEN TESTS


# %% hidden_check="use_caps_rule"
### BEGIN HIDDEN TESTS
from rnnkit.course import hidden_check

with hidden_check("use_caps_rule") as t:
    cases = [
        ('  "hello. world... i? no.i', "   ^      ^        ^  ^  ^"),
        ("in it is i. i'll go! \"'so,' she said", "^        ^  ^          ^            "),
        ("-- 'x'. y z. ii. i", "    ^   ^    ^   ^"),
        ("12, 34 !? ok", "          ^ "),
        ("", ""),
    ]
    for lowered, marked in cases:
        t.equal(
            np.asarray(t.call(use_caps_rule, lowered), dtype=np.int32).reshape(-1),
            caps_tags(marked),
        )
### END HIDDEN TESTS
