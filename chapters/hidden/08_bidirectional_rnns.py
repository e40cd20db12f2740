# Hidden checks of chapter 08_bidirectional_rnns, the instructor's grading tests
# (docs/instructors.md).
# rnnkit inserts each cell after the visible check of its exercise when it builds the instructor
# edition or grades a submission; the student edition never contains them. A public fork of the
# course can delete this folder: the student notebooks do not need it.


# %% hidden_check="birnn_merge"
### BEGIN HIDDEN TESTS
from rnnkit.course import hidden_check

with hidden_check("birnn_merge") as t:
    t.close(t.call(birnn_merge, TOY_FORWARD, TOY_BACKWARD, "ave"), [[[15.5], [11.0], [6.5]]])
    t.close(t.call(birnn_merge, TOY_FORWARD, TOY_BACKWARD, "mul"), [[[30.0], [40.0], [30.0]]])
    # Against the wrapper, with real LSTM outputs, a batch of two and several units.
    inputs = np.random.default_rng(8).normal(size=(2, 5, 3)).astype("float32")
    forward_lstm = keras.layers.LSTM(4, return_sequences=True)
    backward_lstm = keras.layers.LSTM(4, return_sequences=True, go_backwards=True)
    forward_out = np.asarray(forward_lstm(inputs))
    backward_out = np.asarray(backward_lstm(inputs))
    for mode in ("concat", "sum", "ave", "mul"):
        wrapper = Bidirectional(forward_lstm, backward_layer=backward_lstm, merge_mode=mode)
        got = t.call(birnn_merge, forward_out, backward_out, mode)
        t.close(got, np.asarray(wrapper(inputs)), atol=1e-5)
    message = t.raises(ValueError, birnn_merge, TOY_FORWARD, TOY_BACKWARD, "max")
    t.true("mode" in message, "the ValueError names mode")
### END HIDDEN TESTS


# %% hidden_check="birnn_cloze_windows"
### BEGIN HIDDEN TESTS
from rnnkit.course import hidden_check

with hidden_check("birnn_cloze_windows") as t:
    # A window of one: every input is just the blank.
    inputs, targets = t.call(birnn_cloze_windows, np.array([4, 2, 7]), 1, 9)
    t.equal(np.asarray(inputs), np.array([[9], [9], [9]]))
    t.equal(np.asarray(targets), np.array([4, 2, 7]))
    # The whole sequence as one window; the caller's list is left alone.
    ids = [3, 1, 4, 1, 5]
    inputs, targets = t.call(birnn_cloze_windows, ids, 5, 0)
    t.equal(np.asarray(inputs), np.array([[3, 1, 0, 1, 5]]))
    t.equal(np.asarray(targets), np.array([4]))
    t.equal(list(t.arguments[0]), [3, 1, 4, 1, 5], tested="ids after the call")
    # A longer sequence with the chapter's window, against windows cut here.
    ids = np.random.default_rng(3).integers(1, 28, size=300)
    inputs, targets = t.call(birnn_cloze_windows, ids, 21, 0)
    windows = np.lib.stride_tricks.sliding_window_view(ids, 21)
    blanked = windows.copy()
    blanked[:, 10] = 0
    t.equal(np.asarray(inputs), blanked)
    t.equal(np.asarray(targets), windows[:, 10])
    for bad in (4, 0, 7):
        message = t.raises(ValueError, birnn_cloze_windows, [1, 2, 3, 4, 5, 6], bad, 0)
        t.true("window" in message, "the ValueError names window")
### END HIDDEN TESTS
