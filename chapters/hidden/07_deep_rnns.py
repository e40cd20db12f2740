# Hidden checks of chapter 07_deep_rnns, the instructor's grading tests
# (docs/instructors.md).
# rnnkit inserts each cell after the visible check of its exercise when it builds the instructor
# edition or grades a submission; the student edition never contains them. A public fork of the
# course can delete this folder: the student notebooks do not need it.


# %% hidden_check="deep_param_count"
### BEGIN HIDDEN TESTS
from rnnkit.course import hidden_check

with hidden_check("deep_param_count") as t:
    for kind, vocab_size, embedding_dim, widths in (
        ("rnn", 7, 3, [5]),
        ("lstm", 28, 16, [16, 16, 16]),
        ("gru", 2, 1, [2, 9, 3, 4]),
        ("rnn", 30, 3, [6, 2]),
    ):
        t.equal(
            t.call(deep_param_count, kind, vocab_size, embedding_dim, widths),
            keras_param_count(kind, vocab_size, embedding_dim, widths),
        )
    # The models of sections 7.4 and 7.6, from the counts printed there.
    t.equal(t.call(deep_param_count, "gru", 28, 32, [128, 128, 128]), 264_860)
    t.equal(t.call(deep_param_count, "lstm", 28, 32, [384, 384]), 1_833_372)
### END HIDDEN TESTS


# %% hidden_check="deep_stack_forward"
### BEGIN HIDDEN TESTS
from rnnkit.course import hidden_check

with hidden_check("deep_stack_forward") as t:
    rng = np.random.default_rng(5)
    # Three layers of three kinds and widths; then a single time step.
    for kinds, widths, steps in ((("lstm", "rnn", "gru"), (3, 5, 2), 4), (("gru",), (3,), 1)):
        inputs = rng.normal(size=(3, steps, 2)).astype("float32")
        states = random_state(kinds, widths, 3, rng)
        step_fns, outputs, final = stack_reference(kinds, widths, inputs, states, seed=1)
        check_stack_forward(t, deep_stack_forward, step_fns, inputs, states, outputs, final)

    # Plain Python step functions: a running sum below, a running maximum above.
    def running_sum(x, state):
        total = state[0] + x
        return total, [total]

    def running_max(x, state):
        top = np.maximum(state[0], x)
        return 2 * top, [top]

    inputs = np.array([[[1.0], [-2.0], [4.0], [0.5]]])
    sums = np.cumsum(inputs[0, :, 0])
    maxima = np.maximum.accumulate(np.maximum(sums, -10.0))
    got = t.call(
        deep_stack_forward,
        [running_sum, running_max],
        inputs,
        [[np.zeros((1, 1))], [np.full((1, 1), -10.0)]],
    )
    t.close(np.asarray(got[0]).reshape(-1), 2 * maxima)
    t.close(np.asarray(got[1][0][0]).reshape(-1), sums[-1:])
    t.close(np.asarray(got[1][1][0]).reshape(-1), maxima[-1:])
### END HIDDEN TESTS
