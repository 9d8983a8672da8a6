"""What every milestone shares: its run options, its result, the progress line and the final table."""
from __future__ import annotations

import sys
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tabulate import tabulate

__all__ = ["RunOptions", "MilestoneResult", "ProgressBar", "format_table", "format_seconds", "blas_threads"]


@dataclass
class RunOptions:
    """How to run a milestone: `quick` is the few-second CI configuration (no threshold), `compare_torch`
    also trains the torch twin from the same weights on the same batches, `out_dir` receives checkpoints,
    `threads` is the number of BLAS threads NumPy (and torch) may use (see blas_threads)."""

    quick: bool = False
    compare_torch: bool = False
    seed: int = 0
    out_dir: Path = Path("runs")
    progress: bool = True
    threads: int = 1
    dataset: str | None = None   # a milestone's alternative dataset (e.g. "mnist", "fashion-mnist"), if any


@dataclass
class MilestoneResult:
    """The outcome of one run: the table rows, the criterion the run is judged by (the milestone's
    threshold in a full run, "loss decreased" in a quick run) and whether it was met."""

    name: str
    rows: list[tuple[str, str]]
    criterion: str
    passed: bool
    losses: list[float] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)


def format_seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)} min {rest:02.0f} s"


def format_table(result: MilestoneResult) -> str:
    rows = list(result.rows) + [("criterion", result.criterion),
                                ("result", "PASSED" if result.passed else "FAILED")]
    return tabulate(rows, headers=[result.name, ""], tablefmt="github")


class ProgressBar:
    """One status line on stderr: redrawn in place on a terminal, else printed every ~10 % of the steps."""

    WIDTH = 24

    def __init__(self, total: int, label: str, enabled: bool = True, stream=None) -> None:
        self.total, self.label, self.enabled = total, label, enabled
        self.stream = sys.stderr if stream is None else stream
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every = max(1, total // 10)
        self.start = time.perf_counter()

    def update(self, step: int, **values: float) -> None:
        """Show the state after `step` steps (1-based) with the named values, e.g. loss=2.31."""
        if not self.enabled or not (self.interactive or step % self.every == 0 or step == self.total):
            return
        done = int(self.WIDTH * step / self.total)
        shown = " ".join(f"{name} {value:.4f}" for name, value in values.items())
        line = (f"{self.label} [{'#' * done}{'.' * (self.WIDTH - done)}] {step}/{self.total} {shown} "
                f"{format_seconds(time.perf_counter() - self.start)}")
        self.stream.write(("\r" + line) if self.interactive else line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.interactive:
            self.stream.write("\n")
            self.stream.flush()


@contextmanager
def blas_threads(count: int):
    """Let NumPy's BLAS use `count` threads inside the block (threadpoolctl; a warning if it is missing).

    Milestones default to one: their matrices are small, and on this project's 2-core machines OpenBLAS's
    second thread made a small GPT's training step several times slower, not faster (it spins against
    the Python thread that dispatches the next op).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        warnings.warn("threadpoolctl is not installed: NumPy keeps its default BLAS thread count "
                      "(pip install threadpoolctl)", RuntimeWarning, stacklevel=3)
        yield
        return
    with threadpool_limits(limits=count, user_api="blas"):
        yield
