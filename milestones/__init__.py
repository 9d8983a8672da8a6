"""Runnable historical milestones, trained with tiny: `python -m milestones list | run NAME`.

Each milestone trains a model, shows a progress line on stderr and prints a final table; `--quick` is a
few-second configuration for CI, `--compare-torch` also trains the torch twin from the same weights on
the same batches and reports how far the two loss curves drift apart.
"""
from milestones.common import MilestoneResult, RunOptions
from milestones.registry import Milestone, get, milestones


def __getattr__(name: str):
    """load_checkpoint / save_checkpoint import tiny: only on first use, so `--impl` can choose which tiny."""
    if name in ("load_checkpoint", "save_checkpoint"):
        from milestones import checkpoint
        return getattr(checkpoint, name)
    raise AttributeError(f"module 'milestones' has no attribute {name!r}")


__all__ = ["Milestone", "MilestoneResult", "RunOptions", "get", "milestones", "load_checkpoint", "save_checkpoint"]
