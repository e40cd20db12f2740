"""Refusing a model that cannot fit in memory, before TensorFlow tries to allocate it.

The count of weights is exact for the Keras built-in layers; the memory a training step needs
is a lower bound (weights, gradients, Adam's moments, the activations kept for backpropagation).
Where the bound exceeds what the machine can give, ``rnnkit train`` says so in one line.
"""

import os

from rnnkit.cli.config import TrainConfig
from rnnkit.cli.errors import CommandError

_GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def weight_count(cell, layers, hidden, vocab_size, embedding_dim=None) -> int:
    """How many weights ``rnnkit.cli.commands.build_model`` makes (built-in layers), unbuilt.

    Per layer ``gates * (hidden * (inputs + hidden) + biases)``; GRU keeps two bias vectors
    (``reset_after``), then the output layer ``hidden * vocab + vocab`` and the embedding.
    """
    gates = _GATES[cell]
    biases = 2 * hidden if cell == "gru" else hidden
    count = vocab_size * embedding_dim if embedding_dim else 0
    inputs = embedding_dim or vocab_size
    for _ in range(layers):
        count += gates * (hidden * (inputs + hidden) + biases)
        inputs = hidden
    return count + hidden * vocab_size + vocab_size


def training_bytes(config: TrainConfig, vocab_size: int) -> int:
    """A lower bound on the memory one training step needs, in bytes (float32 everywhere).

    The weights four times over (themselves, their gradients, Adam's two moments) and the
    activations that backpropagation through ``num_steps`` keeps: each layer's gate values and
    state per step, and the logits.
    """
    weights = weight_count(
        config.cell, config.layers, config.hidden, vocab_size, config.embedding_dim
    )
    per_step = config.layers * config.hidden * (_GATES[config.cell] + 1) + 2 * vocab_size
    activations = config.batch_size * config.num_steps * per_step
    return 4 * (4 * weights + activations)


def available_memory() -> int | None:
    """Bytes of memory this process can still get (None where it cannot be told).

    The machine's available memory, or the process's address-space limit (``ulimit -v``) when
    that is lower.
    """
    free = None
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    free = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        try:
            free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, ValueError, OSError):
            free = None
    try:
        import resource  # not on every platform

        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
        if limit != resource.RLIM_INFINITY:
            free = limit if free is None else min(free, limit)
    except (ImportError, OSError, ValueError):
        pass
    return free


def too_large(config, vocab_size, asked=None) -> CommandError:
    weights = weight_count(
        config.cell, config.layers, config.hidden, vocab_size, config.embedding_dim
    )
    asked = training_bytes(config, vocab_size) if asked is None else asked
    return CommandError(
        f"a {config.layers}-layer {config.cell} of {config.hidden} units has {weights:,} weights "
        f"and needs at least {asked / 2**30:,.1f} GiB of memory to train, more than this "
        "machine can give: use a smaller --hidden or --layers (the weights grow with the "
        "square of --hidden), or a smaller --batch-size or --num-steps",
        status=1,
    )


def check_memory(config: TrainConfig, vocab_size: int) -> None:
    """Refuse, before anything is allocated, a run that cannot fit in this machine's memory."""
    free = available_memory()
    if free is not None and training_bytes(config, vocab_size) > free:
        raise too_large(config, vocab_size)
