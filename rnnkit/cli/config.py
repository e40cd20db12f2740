"""The settings of one ``rnnkit train`` run, checked once, in one object the rest of it reads.

The parser checks each option's own form (a positive integer, a fraction, ...);
:meth:`TrainConfig.from_args` adds the checks that involve several options. After that nothing
downstream checks them again: the run folder, the model builder and the training loop read
the fields.
"""

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from rnnkit.cli.errors import CommandError
from rnnkit.lm import WARMUP

# Fields a resumed run may change: more epochs, another warm-up, the folder's own handling.
_FREE = ("epochs", "warmup", "out", "force")


@dataclass(frozen=True)
class TrainConfig:
    """Everything ``rnnkit train`` was asked for (see ``rnnkit train --help`` for each field).

    ``cell`` is the recurrent cell (``rnn``, ``gru`` or ``lstm``). The defaults here are the
    command line's defaults.
    """

    out: Path
    data: str = "timemachine"
    cell: str = "gru"
    layers: int = 1
    hidden: int = 128
    embedding_dim: int | None = None
    dropout: float = 0.0
    scratch: bool = False
    keep_case: bool = False
    keep_punctuation: bool = False
    valid_fraction: float = 0.1
    test_fraction: float = 0.1
    epochs: int = 10
    batch_size: int = 32
    num_steps: int = 35
    optimizer: str = "adam"
    lr: float = 0.01
    clip: float = 1.0
    seed: int = 0
    warmup: int = WARMUP
    force: bool = False

    @classmethod
    def from_args(cls, args) -> "TrainConfig":
        """The configuration of parsed ``rnnkit train`` options; CommandError if they clash."""
        if args.bidirectional:
            raise CommandError(
                "--bidirectional is refused for language modelling: a bidirectional layer also "
                "reads the text backwards, so its output at character t has already seen "
                "character t + 1, the one it must predict; its training loss collapses towards "
                "0 and it cannot generate text (see rnnkit.lm.reads_the_future)"
            )
        if args.dropout and args.layers == 1:
            raise CommandError(
                f"--dropout {args.dropout} acts between stacked layers: use --layers 2 or more, "
                "or leave --dropout at 0"
            )
        names = {field.name for field in dataclasses.fields(cls)}
        values = {name: getattr(args, name) for name in names}
        return cls(**values | {"out": Path(args.out).expanduser()})

    def run_settings(self, data_source: str) -> dict:
        """The settings a resumed run must share with the run it resumes (JSON-able).

        ``data_source`` replaces ``data``: the registered name, or the file's absolute path.
        """
        return {name: getattr(self, name) for name in RUN_SETTINGS} | {"data": data_source}


RUN_SETTINGS = tuple(f.name for f in dataclasses.fields(TrainConfig) if f.name not in _FREE)
