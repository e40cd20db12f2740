"""What ``rnnkit train`` shows while it runs: one line per epoch, and on a terminal a moving bar."""

import math
import time


class Progress:
    """One line per epoch; on a terminal also a bar that moves as the batches go by."""

    WIDTH = 24
    REDRAW_S = 0.1  # a terminal needs no more than ten redraws a second

    def __init__(self, epochs, batches, first_epoch, stream):
        self.epochs, self.batches, self.stream = epochs, batches, stream
        self.live = stream.isatty()
        self.epoch, self.done, self.shown, self.loss_sum = first_epoch, 0, 0, 0.0
        self.start = self.drawn = time.perf_counter()

    def elapsed(self):
        """Seconds since the current epoch started."""
        return time.perf_counter() - self.start

    def _show(self, line, end=""):
        # Padding wipes what is left of a longer line drawn before.
        self.stream.write("\r" + line.ljust(self.shown) + end if self.live else line + end)
        self.stream.flush()
        self.shown = 0 if end else len(line)

    def step(self, step, loss):
        """Batch ``step`` of this epoch is done; redraw the bar (with running loss) now and then."""
        self.done = step
        self.loss_sum += loss
        now = time.perf_counter()
        if now - self.drawn < self.REDRAW_S and self.done < self.batches:
            return
        self.drawn = now
        filled = self.WIDTH * self.done // self.batches
        seconds = now - self.start
        eta = seconds / self.done * (self.batches - self.done)
        mean = self.loss_sum / self.done
        self._show(
            f"epoch {self.epoch}/{self.epochs} [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"{self.done}/{self.batches}  loss {mean:.4f}  perplexity {math.exp(mean):.3f}  "
            f"{seconds:.0f}s, about {eta:.0f}s to go"
        )

    def epoch_end(self, entry):
        """Print the finished epoch's line and start counting the next epoch's batches."""
        self._show(epoch_line(entry, self.epochs), end="\n")
        self.epoch, self.done, self.loss_sum = entry["epoch"] + 1, 0, 0.0
        self.start = time.perf_counter()


def epoch_line(entry: dict, epochs: int) -> str:
    """``epoch 2/10  loss 1.9133  perplexity 6.776  valid perplexity 6.542  12.3s``."""
    line = f"epoch {entry['epoch']}/{epochs}  loss {entry['loss']:.4f}  "
    line += f"perplexity {entry['perplexity']:.3f}"
    if entry.get("valid_perplexity") is not None:
        line += f"  valid perplexity {entry['valid_perplexity']:.3f}"
    if entry.get("seconds") is not None:
        line += f"  {entry['seconds']:.1f}s"
    return line
