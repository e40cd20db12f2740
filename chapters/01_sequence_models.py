# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 1: Dependent random variables and sequence models
#
# Most of the models you have met so far assume that examples are drawn independently from one
# fixed distribution. Time series, text, audio and user behaviour break that assumption: what
# happens now depends on what happened before. This chapter builds the vocabulary and the first
# tools for such data, without any recurrent network yet.
#
# **What you will learn**
#
# - why data that arrives over time is usually *not* IID (trends, seasonality, events);
# - how the chain rule of probability factorizes a whole sequence into "next value given the
#   past" predictions;
# - what autoregressive models, the Markov assumption with a window of $\tau$ past values, and
#   latent autoregressive models are;
# - how to turn a series into supervised examples with lagged windows, and train a small Keras
#   model on them with a `tf.data` pipeline;
# - why predicting one step ahead is much easier than predicting $k$ steps ahead: errors compound;
# - how to evaluate a sequence model honestly on a real series (Mauna Loa CO$_2$): chronological
#   split, normalization with training statistics only, and simple baselines to beat.

# %%
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from rnnkit import runmode

MODE = runmode.setup(seed=0)
print("mode:", MODE)

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from rnnkit.data import lag_windows

# Training budgets: quick mode (CI) only trains for fewer epochs.
SINE_EPOCHS = runmode.pick(full=20, quick=3)
CO2_EPOCHS = runmode.pick(full=12, quick=3)

# %% [markdown]
# ## 1.1 When the order of the data matters
#
# In image classification or house-price regression we collect pairs $(x_i, y_i) \sim p(x, y)$
# and learn $p(y \mid x)$. The order in which the pairs were collected carries no information:
# shuffling the data set changes nothing, and a random train/test split is fair.
#
# Data produced over time rarely behaves like that:
#
# - **Drift.** Koren (2009) found that the average Netflix rating jumped in early 2004, around the
#   time Netflix reworded the labels attached to its stars; films also tend to collect higher
#   ratings as they get older. A rating from 2003 and one from 2005 do not come from the same
#   distribution.
# - **Seasonality.** Retail sales peak around Black Friday and Christmas, dip after the holidays
#   and bump again when school starts; web traffic has daily and weekly rhythms.
# - **Events.** Quarterly earnings, interest-rate cuts, a product launch or a single viral post
#   move a series for a while afterwards.
#
# In short: *data usually isn't IID*. The value today tells us a lot about the value tomorrow,
# and that is both a problem (a random split leaks the future into training) and an opportunity
# (the past is a strong predictor).
#
# Here is a made-up example: three years of daily sales in a shop, with slow growth, busier
# weekends, a back-to-school bump in late August, and a holiday peak from Black Friday to
# Christmas.

# %%
rng = np.random.default_rng(0)
days = np.arange(3 * 365)
day_of_year = days % 365


def bump(center, width, height):
    """A smooth seasonal bump centred on a day of the year."""
    return height * np.exp(-0.5 * ((day_of_year - center) / width) ** 2)


sales = (
    100
    + 0.03 * days  # the shop slowly grows
    + 15 * (days % 7 >= 5)  # weekends are busier
    + bump(center=238, width=6, height=25)  # back to school
    + bump(center=345, width=12, height=70)  # Black Friday to Christmas
    + rng.normal(0, 6, size=days.size)
)

plt.figure(figsize=(6, 3))
plt.plot(days, sales, linewidth=0.6)
plt.xlabel("day")
plt.ylabel("sales")
plt.title("Synthetic daily sales")
plt.tight_layout()
plt.show()

# %% [markdown]
# One number captures "the past predicts the future": the correlation between the series and a
# copy of itself shifted by a *lag* of $\ell$ days (the *autocorrelation* at lag $\ell$). If the
# days were IID it would be close to zero for every lag. Shuffling the days destroys the
# dependence, and the autocorrelation with it.


# %%
# NBVAL_CHECK_OUTPUT
def lag_correlation(x, lag):
    """Correlation between x[t] and x[t + lag]."""
    return np.corrcoef(x[:-lag], x[lag:])[0, 1]


shuffled_sales = rng.permutation(sales)
for lag in (1, 7, 365):
    print(
        f"lag {lag:3d}: sales {lag_correlation(sales, lag):5.2f}   "
        f"shuffled {lag_correlation(shuffled_sales, lag):5.2f}"
    )

# %% [markdown]
# The lag-7 correlation is higher than the lag-1 correlation (same weekday), and the lag-365
# correlation is high too (same season). Once shuffled, none of that is left.
#
# ## 1.2 The chain rule for sequences
#
# Treat a sequence $x_1, \dots, x_T$ as *dependent* random variables. Without any assumption, the
# chain rule of probability writes their joint distribution as a product of conditionals:
#
# $$p(x_1, \dots, x_T) = p(x_1) \prod_{t=2}^{T} p(x_t \mid x_1, \dots, x_{t-1})
#   = \prod_{t=1}^{T} p(x_t \mid x_{<t}).$$
#
# Each factor is a prediction problem: *given everything so far, what comes next?* A model of
# $p(x_t \mid x_{<t})$ can score a whole sequence (multiply the factors) and generate new ones
# (sample $x_1$, then $x_2$ given $x_1$, and so on). The same factorization works backwards in
# time as well, but the forward direction matches how the data is produced and how we use it:
# to forecast.
#
# The difficulty is that the conditioning set $x_{<t}$ grows with $t$. Two ways around it:
#
# 1. **Autoregressive models with a Markov assumption.** Keep only the last $\tau$ values:
#
#    $$p(x_t \mid x_1, \dots, x_{t-1}) \approx p(x_t \mid x_{t-\tau}, \dots, x_{t-1}).$$
#
#    The input now has a fixed length $\tau$, so any regression model (linear, MLP, ...) can
#    predict $x_t$ from it. The model *regresses the series on itself*, hence "autoregressive".
#    With $\tau = 1$ this is a first-order Markov chain: the present alone carries everything the
#    past can say about the future. The larger $\tau$, the weaker the assumption, and the more
#    inputs (and data) the model needs.
# 2. **Latent autoregressive models.** Keep a summary $h_t$ of the past and update it with each
#    new observation:
#
#    $$h_t = g(h_{t-1}, x_{t-1}), \qquad \hat{x}_t \sim p(x_t \mid h_t).$$
#
#    The state $h_t$ is never observed, it is *latent*. In principle it can remember something
#    from arbitrarily far back, with a fixed amount of memory. Recurrent neural networks, the
#    subject of the next chapters, are exactly this kind of model, with $g$ learned.
#
# This chapter stays with the first approach.
#
# ## 1.3 From a series to supervised examples
#
# An autoregressive model with window $\tau$ is trained on pairs
# (features $= x_{t-\tau}, \dots, x_{t-1}$, label $= x_t$): slide a window of length $\tau$ over
# the series, and the value right after the window is the label.
# `rnnkit.data.lag_windows(series, tau)` does this and returns float32 `features` of shape
# `(n - tau, tau)` and `labels` of shape `(n - tau,)`. On the numbers $0, 1, \dots, 7$ with
# $\tau = 3$:

# %%
# NBVAL_CHECK_OUTPUT
toy_features, toy_labels = lag_windows(np.arange(8), tau=3)
for window, label in zip(toy_features, toy_labels, strict=True):
    print(window, "->", label)

# %% [markdown]
# Each row is one training example, and it carries its own context. So once the windows are
# built, the *examples* may be shuffled for training. What must stay chronological is the split
# between training and test data: the test windows must come after the training windows, as
# they would in real forecasting.
#
# ## 1.4 An autoregressive model for a noisy sine wave
#
# Start with a series whose structure we know: $x_t = \sin(0.01\, t) + \epsilon_t$ for
# $t = 0, \dots, 999$, with Gaussian noise $\epsilon_t \sim \mathcal{N}(0, 0.2^2)$.

# %%
T = 1000
time_steps = np.arange(T)
sine_noise = 0.2
series = np.sin(0.01 * time_steps) + np.random.default_rng(1).normal(0, sine_noise, size=T)

plt.figure(figsize=(6, 3))
plt.plot(time_steps, series, linewidth=0.7)
plt.xlabel("time step $t$")
plt.ylabel("$x_t$")
plt.title("Noisy sine wave")
plt.tight_layout()
plt.show()

# %% [markdown]
# We use $\tau = 4$ past values. Window `i` ends at time `i + tau - 1` and its label is the value
# at time `i + tau`. The first 600 time steps are for training: a window belongs to the training
# set when its label lies before step 600, and everything later is test data.

# %%
# NBVAL_CHECK_OUTPUT
tau = 4
split = 600
features, labels = lag_windows(series, tau)
label_times = np.arange(tau, T)
train_rows = label_times < split
print("features", features.shape, features.dtype, " labels", labels.shape, labels.dtype)
print("training windows:", int(train_rows.sum()), " test windows:", int((~train_rows).sum()))
print("first windows and their labels:")
print(np.round(features[:3], 3))
print(np.round(labels[:3], 3))

# %% [markdown]
# The input pipeline is a `tf.data.Dataset` of (window, label) pairs, shuffled with a fixed seed
# and cut into minibatches. The model is a small MLP: $\tau$ inputs, one hidden layer, one
# output, trained with the squared error.


# %%
def make_dataset(features, labels, batch_size=32, seed=0):
    """Shuffled minibatches of (window, next value) pairs."""
    return (
        tf.data.Dataset.from_tensor_slices((features, labels))
        .shuffle(len(labels), seed=seed)
        .batch(batch_size)
    )


def make_ar_model(tau, hidden=32, learning_rate=0.01):
    """An MLP that predicts the next value from the previous tau values."""
    model = keras.Sequential(
        [
            keras.Input(shape=(tau,)),
            keras.layers.Dense(hidden, activation="relu"),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    return model


sine_model = make_ar_model(tau)
# The Dataset shuffles itself; fit's own shuffle flag is for NumPy inputs.
history = sine_model.fit(
    make_dataset(features[train_rows], labels[train_rows], batch_size=16),
    epochs=SINE_EPOCHS,
    shuffle=False,
    verbose=0,
)
print(f"training MSE after {SINE_EPOCHS} epochs: {history.history['loss'][-1]:.4f}")
print(f"noise variance (the best any model can do): {sine_noise**2:.4f}")

# %% [markdown]
# ## 1.5 One step ahead versus $k$ steps ahead
#
# The model above sees *observed* values and predicts the next one: a **one-step-ahead**
# prediction. In real forecasting we often need values further out. Standing at time $t$ with
# observations up to $x_t$, the value $x_{t+2}$ needs $x_{t+1}$ as an input, which we do not have
# yet; we use our own prediction instead:
#
# $$\hat{x}_{t+1} = f(x_{t-\tau+1}, \dots, x_t), \quad
#   \hat{x}_{t+2} = f(x_{t-\tau+2}, \dots, x_t, \hat{x}_{t+1}), \quad \dots$$
#
# After $\tau$ steps the window holds only predictions. This is a **$k$-step-ahead** prediction,
# and every step feeds its error into the next one. `rollout` starts from each window and keeps
# appending its own predictions.


# %%
def rollout(model, windows, steps):
    """Predict `steps` values after each window, feeding each prediction back as an input.

    Returns an array of shape (len(windows), steps): column k - 1 holds the k-step-ahead
    predictions.
    """
    window = np.asarray(windows, dtype="float32")
    predictions = []
    for _ in range(steps):
        next_value = keras.ops.convert_to_numpy(model(window, training=False))  # (n, 1)
        predictions.append(next_value[:, 0])
        # Slide the window: drop its oldest value, append the prediction.
        window = np.concatenate([window[:, 1:], next_value], axis=1)
    return np.stack(predictions, axis=1)


# %% [markdown]
# Two checks that do not depend on training: one rolled-out step is just the model's ordinary
# prediction, and a "model" that copies the last input value forecasts a flat line.

# %%
# NBVAL_CHECK_OUTPUT
one_step = rollout(sine_model, features, steps=1)[:, 0]
predicted = sine_model.predict(features, verbose=0)[:, 0]
print("1-step rollout == model.predict:", np.allclose(one_step, predicted, atol=1e-5))

copy_last = keras.Sequential([keras.Input(shape=(tau,)), keras.layers.Dense(1, use_bias=False)])
# Kernel (0, ..., 0, 1): the output is the last value of the window.
copy_last.layers[0].set_weights([np.eye(tau, 1, k=-(tau - 1), dtype="float32")])
flat = rollout(copy_last, features[:5], steps=10)
last_values = np.repeat(features[:5, -1:], 10, axis=1)
print("copy-last model repeats the last value:", np.array_equal(flat, last_values))

# %% [markdown]
# Now roll out 64 steps from every window. The $k$-step prediction that starts from window `i`
# is a forecast for time `i + tau + k - 1`.

# %%
max_k = 64
sine_paths = rollout(sine_model, features, max_k)


def k_step_predictions(paths, k):
    """Times and values of the k-step-ahead predictions from every window that has one."""
    column = paths[: len(paths) - k + 1, k - 1]
    return np.arange(tau + k - 1, tau + k - 1 + len(column)), column


plt.figure(figsize=(6, 3))
plt.plot(time_steps, series, color="lightgray", linewidth=0.8, label="data")
for k in (1, 4, 16, 64):
    times, predicted = k_step_predictions(sine_paths, k)
    plt.plot(times, predicted, linewidth=1, label=f"{k}-step")
plt.axvline(split, color="black", linestyle=":", linewidth=1)
plt.xlabel("time step $t$")
plt.legend(fontsize=7, ncol=5, loc="lower left")
plt.title("k-step-ahead predictions (dotted line: train | test)")
plt.tight_layout()
plt.show()

# %% [markdown]
# One-step predictions follow the data closely, four-step predictions are still good, but the
# longer the horizon the further the predictions drift: each step adds its own error to the
# errors already inside the window. Far out, once the window holds nothing but predictions, the
# model only iterates its own function on its outputs, and the forecasts tend to settle on a
# few levels (fixed points of that function) whatever the data does. The MSE on the test part
# as a function of $k$ makes the compounding visible.

# %%
ks = np.arange(1, max_k + 1)
sine_test_mse = []
for k in ks:
    times, predicted = k_step_predictions(sine_paths, k)
    on_test = times >= split
    sine_test_mse.append(np.mean((predicted[on_test] - series[times[on_test]]) ** 2))
sine_test_mse = np.array(sine_test_mse)

for k in (1, 4, 16, 64):
    print(f"{k:2d}-step test MSE: {sine_test_mse[k - 1]:.4f}")

plt.figure(figsize=(6, 3))
plt.semilogy(ks, sine_test_mse, label="AR model")
plt.axhline(sine_noise**2, color="gray", linestyle="--", label="noise variance")
plt.axhline(np.var(series[split:]), color="gray", linestyle=":", label="variance of test data")
plt.xlabel("prediction horizon $k$")
plt.ylabel("test MSE")
plt.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# The one-step error sits a little above the noise variance, which no model can beat: the noise
# is unpredictable by construction (and it also blurs the model's inputs). As $k$ grows, the
# error climbs towards, and can even pass, the error of simply predicting the average of the
# test data. A model that is excellent at one step can still be useless far ahead.
#
# ## 1.6 A real series: CO$_2$ at Mauna Loa
#
# `statsmodels` ships a classic time series inside the package, so it loads without a network:
# weekly atmospheric CO$_2$ concentrations (in parts per million, ppm) measured at Mauna Loa,
# Hawaii, from 1958 to 2001.

# %%
# NBVAL_CHECK_OUTPUT
from statsmodels.datasets import co2 as co2_data

raw_co2 = co2_data.load_pandas().data["co2"]
missing = raw_co2.isna().to_numpy()
# +1 where a run of missing weeks starts, -1 just after it ends.
edges = np.diff(np.concatenate([[0], missing.astype(int), [0]]))
longest_gap = int(np.max(np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)))
print("weeks:", len(raw_co2), " from", raw_co2.index[0].date(), "to", raw_co2.index[-1].date())
num_gaps = int(np.sum(edges == 1))
print("missing weeks:", int(missing.sum()), " gaps:", num_gaps, " longest:", longest_gap, "weeks")
print("first and last value missing:", bool(missing[0]), bool(missing[-1]))

# %% [markdown]
# Some weeks have no measurement (`NaN`). We fill them by **linear interpolation** in time
# between the neighbouring measurements (`interpolate(method="time")`): a model would choke on
# `NaN`, and dropping the weeks would break the regular weekly spacing that the windows rely on.
# Interpolation is reasonable here because no gap touches either end of the series and most
# gaps are a week or two long. The longest one (18 weeks, January to May 1964) is a weak spot:
# a straight line cuts across part of that spring's seasonal swing. It lies in the training
# period and is one short stretch out of 44 years, so we accept it.
#
# The series shows a steady upward trend and a yearly cycle: northern-hemisphere vegetation
# takes up CO$_2$ in summer and releases it in winter.

# %%
# NBVAL_CHECK_OUTPUT
co2 = raw_co2.interpolate(method="time")
values = co2.to_numpy()
print("missing after interpolation:", int(co2.isna().sum()))

split_week = int((co2.index < "1992-01-01").sum())
print("training weeks (1958-1991):", split_week)
print("test weeks (1992-2001):", len(values) - split_week)

# %%
plt.figure(figsize=(6, 3))
plt.plot(co2.index, values, linewidth=0.8)
plt.axvline(co2.index[split_week], color="black", linestyle=":", linewidth=1)
plt.ylabel("CO$_2$ (ppm)")
plt.title("Mauna Loa CO$_2$ (dotted line: train | test)")
plt.tight_layout()
plt.show()

# %% [markdown]
# ### Modelling weekly changes instead of levels
#
# The trend is a trap for a model trained on levels: every test value (1992 on) is higher than
# anything in the training period, so the model would have to extrapolate outside the range it
# has seen, which MLPs do badly. The usual fix is to model the *weekly change*
# $d_t = x_t - x_{t-1}$ instead. The changes have no trend, only the seasonal cycle and noise,
# and a forecast of the level is the last observed level plus the predicted changes.
#
# We normalize the changes to zero mean and unit variance, with the mean and standard deviation
# of the **training** weeks only: statistics computed on the test period would leak information
# about the future into the model.

# %%
# NBVAL_CHECK_OUTPUT
# changes[j] = values[j + 1] - values[j]: the change that arrives at week j + 1.
changes = np.diff(values)
train_changes = changes[: split_week - 1]
change_mean, change_std = train_changes.mean(), train_changes.std()
print(f"training changes: mean {change_mean:.4f} ppm/week ({52 * change_mean:.2f} ppm/year)")
print(f"                  std  {change_std:.4f} ppm/week")
normalized_changes = (changes - change_mean) / change_std

co2_tau = 52  # one year of weekly changes: the window always covers a full seasonal cycle
co2_features, co2_labels = lag_windows(normalized_changes, co2_tau)
# Window i holds the changes arriving at weeks i + 1 ... i + tau; its label arrives at i + tau + 1.
target_weeks = np.arange(len(co2_labels)) + co2_tau + 1
co2_train_rows = target_weeks < split_week
print("windows:", co2_features.shape, " training windows:", int(co2_train_rows.sum()))

# %% [markdown]
# Single weekly changes are noisy, but averaged by calendar month over the training years the
# seasonal cycle stands out, and nothing in them grows over time.

# %%
# The month of the week at which each training change arrives.
change_months = co2.index[1:split_week].month
monthly_change = [train_changes[change_months == month].mean() for month in range(1, 13)]

plt.figure(figsize=(6, 3))
plt.bar(range(1, 13), monthly_change)
plt.axhline(change_mean, color="gray", linestyle="--", linewidth=1, label="overall mean")
plt.xticks(range(1, 13), ["J", "F", "M", "A", "M", "J", "J", "A", "S", "O", "N", "D"])
plt.xlabel("month")
plt.ylabel("mean weekly change (ppm)")
plt.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# ### Baselines first
#
# Before training anything, decide what the model has to beat. Two forecasts need no learning:
#
# - **last value**: the $k$-step forecast of $x_t$ is the last observation, $x_{t-k}$;
# - **seasonal naive**: the value one year (52 weeks) earlier, $x_{t-52}$, which is known for
#   every horizon $k \le 52$.
#
# We evaluate on every test week, for horizons of one week, a month, a quarter, half a year and a
# year, with the mean squared error (MSE, ppm$^2$) and the mean absolute error (MAE, ppm).

# %%
# NBVAL_CHECK_OUTPUT
horizons = (1, 4, 13, 26, 52)
test_weeks = np.arange(split_week, len(values))
actual = values[test_weeks]


def errors(forecast):
    """MSE and MAE of a forecast of the test weeks."""
    return np.mean((forecast - actual) ** 2), np.mean(np.abs(forecast - actual))


baselines = {
    "last value": lambda k: values[test_weeks - k],
    "seasonal naive": lambda k: values[test_weeks - 52],
}
for name, forecast in baselines.items():
    print(name)
    for k in horizons:
        mse, mae = errors(forecast(k))
        print(f"  k={k:2d}: MSE {mse:6.3f}  MAE {mae:5.3f}")

# %% [markdown]
# The last value is hard to beat one week ahead but falls apart at a quarter or half a year,
# where the season has turned. The seasonal naive forecast gets the season right but misses one
# year of growth, at every horizon.
#
# ### Training the autoregressive model
#
# Same model and pipeline as for the sine wave, now with 52 inputs.

# %%
co2_model = make_ar_model(co2_tau, learning_rate=0.003)
history = co2_model.fit(
    make_dataset(co2_features[co2_train_rows], co2_labels[co2_train_rows]),
    epochs=CO2_EPOCHS,
    shuffle=False,
    verbose=0,
)
final_loss = history.history["loss"][-1]
print(f"training MSE (normalized changes) after {CO2_EPOCHS} epochs: {final_loss:.4f}")

# %% [markdown]
# To forecast week $w$ with horizon $k$ we stand at the origin week $w - k$ (the last observed
# one), take the window that ends there, roll out $k$ predicted changes, undo the normalization,
# and add them up on top of the last observed level.

# %% tags=["headline"]
co2_paths = rollout(co2_model, co2_features, max(horizons)) * change_std + change_mean
# cumulative[i, k - 1]: predicted change from the window's last week (i + tau) to k weeks later.
cumulative = np.cumsum(co2_paths, axis=1)


def ar_forecast(k):
    """k-step-ahead AR forecasts (in ppm) of every test week."""
    origins = test_weeks - k
    return values[origins] + cumulative[origins - co2_tau, k - 1]


forecasts = {**baselines, "AR model": ar_forecast}
print("each cell: MSE in ppm^2, then MAE in ppm")
print(f"{'':16s}" + "".join(f"{f'k={k}':>14s}" for k in horizons))
for name, forecast in forecasts.items():
    cells = "".join("{:>7.3f} {:<6.3f}".format(*errors(forecast(k))) for k in horizons)
    print(f"{name:16s}{cells}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3))
test_dates = co2.index[test_weeks]
for ax, k in zip(axes, (1, 52), strict=True):
    ax.plot(test_dates, actual, color="lightgray", linewidth=1.5, label="data")
    ax.plot(test_dates, ar_forecast(k), linewidth=0.8, label="AR model")
    ax.plot(test_dates, baselines["seasonal naive"](k), linewidth=0.8, label="seasonal naive")
    ax.set_title(f"{k}-week-ahead forecasts")
    ax.tick_params(axis="x", labelsize=7)
axes[0].set_ylabel("CO$_2$ (ppm)")
axes[0].legend(fontsize=7)
plt.tight_layout()
plt.show()

plt.figure(figsize=(6, 3))
for name, forecast in forecasts.items():
    plt.semilogy(horizons, [errors(forecast(k))[0] for k in horizons], marker="o", label=name)
plt.xlabel("forecast horizon $k$ (weeks)")
plt.ylabel("test MSE (ppm$^2$)")
plt.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# The autoregressive model on weekly changes is typically a little better than the last value one
# week ahead (where the measurement noise dominates every forecast), and its advantage grows with
# the horizon: it carries the trend forward and knows where in the seasonal cycle it stands. Its
# error still grows with $k$, as on the sine wave, because later predicted changes are computed
# from earlier predicted changes. Exact numbers depend on the run mode (number of epochs) and on
# the random initialization.
#
# ## Summary
#
# - Data collected over time is usually not IID: it drifts, has seasons, and reacts to events.
#   Splits must be chronological, and normalization must use training statistics only.
# - The chain rule turns a sequence distribution into next-value predictions
#   $p(x_t \mid x_{<t})$. Autoregressive models cut the past to a window of $\tau$ values
#   (Markov assumption); latent autoregressive models carry a learned summary $h_t$ instead.
# - One-step predictions can be excellent while $k$-step predictions degrade: feeding
#   predictions back compounds their errors.
# - On real data, transform the series so that the model sees values like those it was trained
#   on (here: changes instead of levels), and always compare against simple baselines.

# %% [markdown]
# ## Exercises
#
# Exercises 1 to 3 are coding exercises with instant feedback. In each exercise cell, replace
# `# YOUR CODE HERE` and `raise NotImplementedError` with your code and run the cell; then run
# the cell after it: `check(...)` tests your function on a small example and says what it
# tried, what it expected and what came back, with a hint. The exercises after them are open
# questions and projects without automatic checks.
#
# The next cell defines the checks the exercises use. Run it first; you may read it, it shows
# exactly what is tested. (Your instructor may run a few more tests of the same kind when
# grading.)

# %%
from rnnkit.course import check, exercise


class Rule:
    """A small next-value rule with a readable name, so that feedback can say which one it used."""

    def __init__(self, text, fn):
        self.text, self.fn = text, fn

    def __call__(self, window):
        return self.fn(np.asarray(window, dtype=float))

    def __repr__(self):
        return self.text

    def _wire_source_(self):
        # The grader runs these checks in its own process; this rebuilds the rule in yours.
        return f"Rule({self.text!r}, {self.text})"


@exercise(
    "lag_windows",
    points=1,
    hint="Row i of the features is series[i : i + tau], and its label is series[i + tau].",
)
def _check_lag_windows(t, make_lag_windows):
    expected_features, expected_labels = lag_windows(np.arange(6.0), 2)
    got = t.call(make_lag_windows, np.arange(6.0), 2)
    t.true(isinstance(got, tuple) and len(got) == 2, "the result is a pair (features, labels)")
    t.close(got[0], expected_features, tested=f"the features of {t.tested}")
    t.close(got[1], expected_labels, tested=f"the labels of {t.tested}")


@exercise(
    "rollout_path",
    points=2,
    hint="Keep a window of the last tau values: after each prediction drop its oldest value "
    "and append the prediction.",
)
def _check_rollout_path(t, rollout_path):
    plus_one = Rule("lambda w: w[-1] + 1", lambda w: w[-1] + 1)
    t.close(t.call(rollout_path, plus_one, [1.0, 2.0, 3.0], 4), [4.0, 5.0, 6.0, 7.0])
    # The sum of the last two values only works out when the window slides correctly.
    two_sum = Rule("lambda w: w[0] + w[1]", lambda w: w[0] + w[1])
    t.close(t.call(rollout_path, two_sum, [1.0, 1.0], 5), [2.0, 3.0, 5.0, 8.0, 13.0])


@exercise(
    "seasonal_drift",
    points=2,
    hint="drift = mean of train[season:] - train[:-season]; forecast j (from 0) is "
    "train[len(train) - season + j] + drift.",
)
def _check_seasonal_drift(t, seasonal_drift_forecast):
    got = t.call(seasonal_drift_forecast, [1.0, 2.0, 3.0, 2.0, 3.0, 4.0], 2, 3)
    t.close(got, [3.0, 4.0])


# %% [markdown]
# ### Exercise 1: lag windows by hand (1 point)
#
# Write `make_lag_windows(series, tau)` without `rnnkit.data.lag_windows`. It takes a 1-D sequence
# of numbers (a list or a NumPy array) and an integer `tau` with `0 < tau < len(series)`, and
# returns a pair `(features, labels)` of NumPy float arrays, as `lag_windows` does:
# `features` has shape `(len(series) - tau, tau)` and row `i` is `series[i : i + tau]`; `labels`
# has shape `(len(series) - tau,)` and `labels[i]` is `series[i + tau]`, the value right after
# window `i`.
#
# Example: `make_lag_windows([0, 1, 2, 3, 4], 3)` returns the features `[[0, 1, 2], [1, 2, 3]]`
# and the labels `[3, 4]`.


# %% exercise="lag_windows" points=1
def make_lag_windows(series, tau):
    """Return (features, labels): every window of tau values and the value after it."""
    ### BEGIN SOLUTION
    values = np.asarray(series, dtype=float)
    num_windows = len(values) - tau
    features = np.stack([values[i : i + tau] for i in range(num_windows)])
    labels = values[tau:]
    return features, labels
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
check("lag_windows", make_lag_windows)

# %% [markdown]
# ### Exercise 2: a $k$-step rollout (2 points)
#
# Section 1.5 fed a model's predictions back into its input window. Write the same idea for one
# window and any prediction rule: `rollout_path(predict, window, steps)` where
#
# - `predict` is a function that takes a 1-D NumPy array of the last `tau` values and returns
#   the next value (a number);
# - `window` is the list or array of the `tau` most recent observations, oldest first;
# - `steps` is the number of values to predict (0 or more).
#
# It returns a 1-D NumPy array of length `steps`: entry `k - 1` is the $k$-step-ahead
# prediction. Each prediction is computed from the current window, which then drops its oldest
# value and appends the prediction, so it always holds `tau` values. Do not modify the `window`
# you were given.
#
# Example: with `predict = lambda w: w[-1] + 1`, `rollout_path(predict, [1.0, 2.0, 3.0], 4)`
# returns `[4.0, 5.0, 6.0, 7.0]`; with `predict = lambda w: w[0] + w[1]` and the window
# `[1.0, 1.0]`, five steps give `[2.0, 3.0, 5.0, 8.0, 13.0]`.


# %% exercise="rollout_path" points=2
def rollout_path(predict, window, steps):
    """Predict `steps` values after `window`, feeding every prediction back as an input."""
    ### BEGIN SOLUTION
    current = np.array(window, dtype=float)
    path = np.zeros(steps)
    for k in range(steps):
        path[k] = predict(current)
        current = np.append(current[1:], path[k])
    return path
    ### END SOLUTION


# %%
check("rollout_path", rollout_path)

# %% [markdown]
# ### Exercise 3: a seasonal naive forecast with drift (2 points)
#
# The seasonal naive baseline of section 1.6 forecasts the value one season earlier, and so
# misses a season's worth of growth. Add the growth back. Write
# `seasonal_drift_forecast(train, horizon, season)` that takes the training series `train` (a
# 1-D list or array, longer than `season`), a number of future steps `horizon` with
# `1 <= horizon <= season`, and the season length `season` (a positive integer), and returns a
# 1-D NumPy array of `horizon` forecasts for the steps right after the end of `train`:
#
# - the *drift* is the average growth over one season in the training data: the mean of
#   `train[t] - train[t - season]` over every `t` from `season` to `len(train) - 1`;
# - forecast `j` (counting from 0, the step `len(train) + j`) is the value one season
#   earlier, `train[len(train) - season + j]`, plus the drift.
#
# Example: `seasonal_drift_forecast([1, 2, 3, 2, 3, 4], 2, 3)` has drift
# mean(2 - 1, 3 - 2, 4 - 3) = 1 and returns `[3.0, 4.0]`.
#
# Not graded: apply the idea to the CO$_2$ test weeks for every horizon (the forecast of week $w$
# is $x_{w-52}$ plus the drift measured on the training weeks), add it to the comparison table
# of section 1.6, and decide whether the autoregressive model still wins, and at which horizons.


# %% exercise="seasonal_drift" points=2
def seasonal_drift_forecast(train, horizon, season):
    """Forecast `horizon` steps after `train`: the value one season earlier plus the drift."""
    ### BEGIN SOLUTION
    values = np.asarray(train, dtype=float)
    drift = np.mean(values[season:] - values[:-season])
    start = len(values) - season
    return values[start : start + horizon] + drift
    ### END SOLUTION


# %%
check("seasonal_drift", seasonal_drift_forecast)

# %% [markdown]
# ### More exercises and questions
#
# 4. **Window length (coding).** Train the sine-wave model with $\tau \in \{1, 2, 4, 16, 64\}$,
#    keeping everything else fixed. Plot the test MSE for $k = 1$ and $k = 16$ against $\tau$.
#    What can a model with $\tau = 1$ not know about the sine wave, however well it is trained?
# 5. **Levels instead of changes (coding).** Train the same autoregressive model on the
#    *normalized CO$_2$ levels* (52 lagged levels predict the next level) with the same
#    chronological split, and compare its test errors at every horizon with the model on weekly
#    changes and with the baselines. Plot its forecasts over the test period and explain what you
#    see in terms of the range of values seen during training.
# 6. **Direct multi-step forecasting (coding).** Instead of rolling out a one-step model, train a
#    separate model that predicts $x_{t+15}$ directly from the window
#    $x_{t-\tau+1}, \dots, x_t$ of the sine wave (build its labels yourself, or with
#    `lag_windows` on a shifted series). Compare its test MSE with the 16-step rollout. What is
#    gained, and what does one lose compared with a single one-step model?
# 7. **Shuffling (question).** We shuffled the training windows inside `make_dataset`, yet we
#    insisted that the train/test split be chronological. Explain why the first is harmless and
#    the second is essential. What would a random split of the CO$_2$ windows into training and
#    test sets do to the reported test error?
# 8. **Markov order (question).** Which of these are plausible with a small $\tau$, and which
#    need a long or unbounded memory: next week's CO$_2$; the next character in an English word;
#    whether a bracket opened 200 characters ago still needs closing? How does a latent
#    autoregressive model avoid choosing $\tau$?
