"""Training throughput of the scratch cells against their Keras built-in twins.

For each pair (scratch RNN vs ``SimpleRNN``, scratch GRU vs ``GRU``, scratch LSTM vs ``LSTM``)
and each execution mode (eager, ``tf.function``, ``tf.function(jit_compile=True)``), one
training step (forward, loss, gradients, optimizer update) is timed on the same random batch.
Scratch and built-in runs alternate, and the median of the rounds is kept, so the ratio
scratch/built-in is measured under the same machine load. The table goes into
``docs/benchmarks.md`` between markers, replacing the previous one for the same device.

    python benchmarks/throughput.py                # CPU, and GPU when one is visible
    python benchmarks/throughput.py --units 128 --rounds 7
"""

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from rnnkit.layers import cells  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/ is no package
from markdown_report import REPORT, write_section  # noqa: E402

PAIRS = {
    "RNN": (lambda u: keras.layers.RNN(cells.RNNCell(u), return_sequences=True), "SimpleRNN"),
    "GRU": (lambda u: keras.layers.RNN(cells.GRUCell(u), return_sequences=True), "GRU"),
    "LSTM": (lambda u: keras.layers.RNN(cells.LSTMCell(u), return_sequences=True), "LSTM"),
}
MODES = ("eager", "tf.function", "XLA")


def build_model(layer, vocab_size):
    """One-hot characters -> recurrent layer -> Dense logits, as in the workbook's RNNLM."""
    inputs = keras.Input((None, vocab_size))
    return keras.Model(inputs, keras.layers.Dense(vocab_size)(layer(inputs)))


def make_step(model, mode):
    """A training step (loss, gradients, update) compiled as ``mode`` asks."""
    optimizer = keras.optimizers.SGD(0.01)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    if mode == "eager":
        return step
    return tf.function(step, jit_compile=(mode == "XLA"))


def tokens_per_second(step, x, y, steps):
    """Run ``steps`` timed steps after one untimed warm-up (tracing, compiling) step."""
    float(step(x, y))
    start = time.perf_counter()
    for _ in range(steps):
        loss = step(x, y)
    float(loss)  # wait for the device to finish
    return x.shape[0] * x.shape[1] * steps / (time.perf_counter() - start)


def measure(name, mode, args, device):
    """Median tokens/s of the scratch layer and of the built-in, measured in turns."""
    scratch_layer, builtin_name = PAIRS[name]
    rng = np.random.default_rng(0)
    ids = rng.integers(0, args.vocab, size=(args.batch, args.num_steps + 1))
    x = tf.one_hot(ids[:, :-1], args.vocab)
    y = tf.constant(ids[:, 1:])
    with tf.device(device):
        keras.utils.set_random_seed(0)
        builtin_layer = getattr(keras.layers, builtin_name)(args.units, return_sequences=True)
        steps = {
            "scratch": make_step(build_model(scratch_layer(args.units), args.vocab), mode),
            "built-in": make_step(build_model(builtin_layer, args.vocab), mode),
        }
        n = args.eager_steps if mode == "eager" else args.steps
        rates = {key: [] for key in steps}
        for _ in range(args.rounds):
            for key, step in steps.items():
                rates[key].append(tokens_per_second(step, x, y, n))
    return {key: statistics.median(values) for key, values in rates.items()}


def devices():
    """CPU always; the first GPU too when TensorFlow sees one."""
    found = [("CPU", "/CPU:0")]
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        found.append(("GPU", "/GPU:0"))
    return found


def table(results, args):
    """Markdown table: tokens/s of both layers and their ratio, per cell and mode."""
    lines = [
        f"units {args.units}, batch {args.batch}, {args.num_steps} steps, one-hot input of "
        f"{args.vocab}; median of {args.rounds} alternating rounds",
        "",
        "| cell | mode | scratch tokens/s | built-in tokens/s | scratch / built-in |",
        "|---|---|---:|---:|---:|",
    ]
    for (name, mode), rate in results.items():
        if "error" in rate:
            lines.append(f"| {name} | {mode} | - | - | failed: {rate['error']} |")
            continue
        ratio = rate["scratch"] / rate["built-in"]
        lines.append(
            f"| {name} | {mode} | {rate['scratch']:,.0f} | {rate['built-in']:,.0f} | {ratio:.2f} |"
        )
    return "\n".join(lines)


def parse_args(argv):
    """Command-line options (sizes and repetitions)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=256)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--num-steps", type=int, default=35)
    parser.add_argument("--vocab", type=int, default=28)
    parser.add_argument("--steps", type=int, default=20, help="timed steps per round")
    parser.add_argument("--eager-steps", type=int, default=3, help="timed steps, eager mode")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cells", nargs="*", default=list(PAIRS), choices=list(PAIRS))
    parser.add_argument("--modes", nargs="*", default=list(MODES), choices=list(MODES))
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args(argv)
    for name in ("units", "batch", "num_steps", "vocab", "steps", "eager_steps", "rounds"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be a positive integer")
    return args


def main(argv=None) -> int:
    """Measure every cell and mode on every device; print and record the tables."""
    args = parse_args(argv)
    for label, device in devices():
        results = {}
        for name in args.cells:
            for mode in args.modes:
                try:
                    rate = measure(name, mode, args, device)
                except Exception as exc:  # e.g. cuDNN kernels cannot be XLA-compiled on GPU
                    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:120]
                    results[name, mode] = {"error": reason}
                    print(f"{label} {name:4} {mode:11} failed: {reason}", flush=True)
                    continue
                results[name, mode] = rate
                print(
                    f"{label} {name:4} {mode:11} scratch {rate['scratch']:9,.0f} tok/s  "
                    f"built-in {rate['built-in']:9,.0f} tok/s  "
                    f"ratio {rate['scratch'] / rate['built-in']:.2f}",
                    flush=True,
                )
        machine = f"{label} on {platform.machine()}, {os.cpu_count()} cores, TF {tf.__version__}"
        body = f"### Throughput, {machine}\n\n{table(results, args)}"
        write_section(args.report, f"throughput:{label}", body)
    print(f"wrote {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
