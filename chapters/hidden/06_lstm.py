# Hidden checks of chapter 06_lstm, the instructor's grading tests
# (docs/instructors.md).
# rnnkit inserts each cell after the visible check of its exercise when it builds the instructor
# edition or grades a submission; the student edition never contains them. A public fork of the
# course can delete this folder: the student notebooks do not need it.


# %% hidden_check="lstm_step"
### BEGIN HIDDEN TESTS
from rnnkit.course import hidden_check

with hidden_check("lstm_step") as t:
    # One example, one feature, one unit; a wide layer on a batch; large weights (gates near 0/1).
    check_lstm_step(t, lstm_step, n=1, d=1, h=1, seed=1)
    check_lstm_step(t, lstm_step, n=5, d=7, h=3, seed=2)
    check_lstm_step(t, lstm_step, n=3, d=2, h=6, seed=3, scale=3.0)
### END HIDDEN TESTS


# %% hidden_check="lstm_param_count"
### BEGIN HIDDEN TESTS
from rnnkit.course import hidden_check

with hidden_check("lstm_param_count") as t:
    for d, h in ((1, 1), (28, 100), (100, 7), (5, 300)):
        t.equal(t.call(lstm_param_count, d, h), keras_lstm_param_count(d, h))
### END HIDDEN TESTS


# %% hidden_check="lstm_counter"
### BEGIN HIDDEN TESTS
from rnnkit.course import hidden_check

with hidden_check("lstm_counter") as t:
    letters = np.random.default_rng(5).choice(["a", "b"], size=(3, 40))
    texts = ["a", "b", "a" * 40, "b" * 39 + "a", *("".join(row) for row in letters)]
    check_counter(t, counter_weights, texts)
### END HIDDEN TESTS
