# Hidden checks of chapter 05_gru, the instructor's grading tests
# (docs/instructors.md).
# rnnkit inserts each cell after the visible check of its exercise when it builds the instructor
# edition or grades a submission; the student edition never contains them. A public fork of the
# course can delete this folder: the student notebooks do not need it.


# %% hidden_check="gru_param_count"
### BEGIN HIDDEN TESTS
from rnnkit.course import hidden_check

with hidden_check("gru_param_count") as t:
    for d, h in ((1, 1), (5, 3), (100, 7), (7, 100)):
        for reset_after in (False, True):
            got = t.call(gru_param_count, d, h, reset_after)
            t.equal(got, keras_gru_param_count(d, h, reset_after))
### END HIDDEN TESTS


# %% hidden_check="gru_as_rnn"
### BEGIN HIDDEN TESTS
from rnnkit.course import hidden_check

with hidden_check("gru_as_rnn") as t:
    check_gru_as_rnn_on(t, gru_as_rnn, d=1, h=1, seed=1)
    check_gru_as_rnn_on(t, gru_as_rnn, d=6, h=2, seed=2)
    check_gru_as_rnn_on(t, gru_as_rnn, d=2, h=7, seed=3)
### END HIDDEN TESTS


# %% hidden_check="gru_keras_step"
### BEGIN HIDDEN TESTS
from rnnkit.course import hidden_check

with hidden_check("gru_keras_step") as t:
    check_gru_keras_step_on(t, gru_keras_step, n=1, d=1, h=1, seed=4)
    check_gru_keras_step_on(t, gru_keras_step, n=5, d=2, h=6, seed=5)
    check_gru_keras_step_on(t, gru_keras_step, n=3, d=8, h=3, seed=6)
### END HIDDEN TESTS
