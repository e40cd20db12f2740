# Hidden checks of chapter 04_recurrent_neural_networks, the instructor's grading tests
# (docs/instructors.md).
# rnnkit inserts each cell after the visible check of its exercise when it builds the instructor
# edition or grades a submission; the student edition never contains them. A public fork of the
# course can delete this folder: the student notebooks do not need it.


# %% hidden_check="rnn_step"
### BEGIN HIDDEN TESTS
from rnnkit.course import hidden_check

with hidden_check("rnn_step") as t:
    step_rng = np.random.default_rng(7)
    shapes = {"W_xh": (6, 4), "W_hh": (4, 4), "b_h": (4,), "W_hq": (4, 6), "b_q": (6,)}
    params = [step_rng.normal(size=shape) for shape in shapes.values()]
    # A batch with a repeated id, a non-zero previous state, and large weights that saturate.
    for scale in (1.0, 5.0):
        args = (np.array([5, 1, 5]), step_rng.normal(size=(3, 4)), *[scale * p for p in params])
        got = t.call(rnn_lm_step, *args)
        expected = lm_step_reference(*args)
        t.close(got[0], expected[0], tested=f"H_t of {t.tested}")
        t.close(got[1], expected[1], tested=f"O_t of {t.tested}")
    # A batch of one, as a list of ids.
    args = ([3], np.zeros((1, 4)), *params)
    got = t.call(rnn_lm_step, *args)
    t.close(got[1], lm_step_reference(*args)[1], tested=f"O_t of {t.tested}")
### END HIDDEN TESTS


# %% hidden_check="rnn_forward"
### BEGIN HIDDEN TESTS
from rnnkit.course import hidden_check

with hidden_check("rnn_forward") as t:
    fwd_rng = np.random.default_rng(11)
    W_xh, W_hh, b_h = (
        fwd_rng.normal(size=(5, 3)),
        fwd_rng.normal(size=(3, 3)),
        fwd_rng.normal(size=3),
    )
    ids = fwd_rng.integers(0, 5, size=(2, 7))
    H_0 = fwd_rng.normal(size=(2, 3))
    # Seven steps from a non-zero initial state.
    got = t.call(rnn_forward, ids, H_0, W_xh, W_hh, b_h)
    states, last = forward_reference(ids, H_0, W_xh, W_hh, b_h)
    t.close(got[0], states, tested=f"the states of {t.tested}")
    t.close(got[1], last, tested=f"the last state of {t.tested}")
    # One step only.
    got = t.call(rnn_forward, ids[:, :1], H_0, W_xh, W_hh, b_h)
    states, last = forward_reference(ids[:, :1], H_0, W_xh, W_hh, b_h)
    t.close(got[0], states, tested=f"the states of {t.tested}")
### END HIDDEN TESTS


# %% hidden_check="rnn_clip"
### BEGIN HIDDEN TESTS
from rnnkit.course import hidden_check

with hidden_check("rnn_clip") as t:
    clip_rng = np.random.default_rng(5)
    grads = [
        clip_rng.normal(size=(4, 3)),
        None,
        clip_rng.normal(size=(3,)),
        clip_rng.normal(size=()),
    ]
    for theta in (0.5, 100.0):  # clipped, and left alone
        got = t.call(clip_global_norm, grads, theta)
        expected, expected_norm = clip_reference(grads, theta)
        t.close(got[1], expected_norm, tested=f"the norm returned by {t.tested}")
        check_arrays(t, got[0], expected, "clipped array")
    # All-zero gradients stay zero.
    got = t.call(clip_global_norm, [np.zeros(3), np.zeros((2, 2))], 1.0)
    check_arrays(t, got[0], [np.zeros(3), np.zeros((2, 2))], "clipped array")
    t.close(got[1], 0.0, tested=f"the norm returned by {t.tested}")
### END HIDDEN TESTS
