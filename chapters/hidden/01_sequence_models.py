# Hidden checks of chapter 01_sequence_models, the instructor's grading tests
# (docs/instructors.md).
# rnnkit inserts each cell after the visible check of its exercise when it builds the instructor
# edition or grades a submission; the student edition never contains them. A public fork of the
# course can delete this folder: the student notebooks do not need it.


# %% hidden_check="lag_windows"
### BEGIN HIDDEN TESTS
from rnnkit.course import hidden_check

with hidden_check("lag_windows") as t:
    # A list of ints, tau = 1.
    got_features, got_labels = t.call(make_lag_windows, [5, 7, 4], 1)
    t.true(
        isinstance(got_features, np.ndarray) and isinstance(got_labels, np.ndarray),
        "features and labels are NumPy arrays",
    )
    t.close(got_features, [[5.0], [7.0]], tested=f"the features of {t.tested}")
    t.close(got_labels, [7.0, 4.0], tested=f"the labels of {t.tested}")
    # The longest window: a single example.
    got_features, got_labels = t.call(make_lag_windows, np.array([0.5, -1.0, 2.0, 3.5]), 3)
    t.close(got_features, [[0.5, -1.0, 2.0]], tested=f"the features of {t.tested}")
    t.close(got_labels, [3.5], tested=f"the labels of {t.tested}")
    # Agrees with the library on a longer random series.
    noise = np.random.default_rng(7).normal(size=40)
    got_features, got_labels = t.call(make_lag_windows, noise, 5)
    expected_features, expected_labels = lag_windows(noise, 5)
    t.close(got_features, expected_features, tested=f"the features of {t.tested}")
    t.close(got_labels, expected_labels, tested=f"the labels of {t.tested}")
### END HIDDEN TESTS


# %% hidden_check="rollout_path"
### BEGIN HIDDEN TESTS
from rnnkit.course import hidden_check

with hidden_check("rollout_path") as t:
    mean_rule = Rule("lambda w: w.mean()", lambda w: w.mean())
    t.close(t.call(rollout_path, mean_rule, [0.0, 0.0, 3.0], 3), [1.0, 4 / 3, 16 / 9])
    t.close(t.call(rollout_path, mean_rule, [2.0], 3), [2.0, 2.0, 2.0])
    t.close(t.call(rollout_path, mean_rule, [1.0, 2.0], 0), np.zeros(0))
    # The model of section 1.5 that copies the last value forecasts a flat line.
    last = Rule("lambda w: w[-1]", lambda w: w[-1])
    t.close(t.call(rollout_path, last, [3.0, -1.5], 4), [-1.5, -1.5, -1.5, -1.5])
    start = np.array([1.0, 2.0, 4.0])
    doubling = Rule("lambda w: 2 * w[-1]", lambda w: 2 * w[-1])
    t.close(t.call(rollout_path, doubling, start, 3), [8.0, 16.0, 32.0])
    t.true(
        np.array_equal(t.arguments[1], [1.0, 2.0, 4.0]), "the window passed in is left unchanged"
    )
### END HIDDEN TESTS


# %% hidden_check="seasonal_drift"
### BEGIN HIDDEN TESTS
from rnnkit.course import hidden_check

with hidden_check("seasonal_drift") as t:
    # The horizon may cover a whole season.
    t.close(t.call(seasonal_drift_forecast, [1, 2, 3, 2, 3, 4], 3, 3), [3.0, 4.0, 5.0])
    # Season 1: the last value plus the mean step.
    t.close(t.call(seasonal_drift_forecast, [0.0, 1.0, 3.0, 6.0], 1, 1), [8.0])
    # Uneven growth: drift = mean(10 - 1, 20 - 2, 32 - 4, 40 - 10) = 21.25.
    got = t.call(seasonal_drift_forecast, np.array([1.0, 2.0, 4.0, 10.0, 20.0, 32.0, 40.0]), 2, 3)
    t.close(got, [41.25, 53.25])
    # A series without growth is forecast by its last season.
    t.close(t.call(seasonal_drift_forecast, [5, 9, 5, 9, 5, 9], 2, 2), [5.0, 9.0])
### END HIDDEN TESTS
