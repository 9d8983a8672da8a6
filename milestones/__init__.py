"""Runnable historical milestones, trained with tiny: `python -m milestones list | run NAME`.

Each milestone trains a model, shows a progress line on stderr and prints a final table; `--quick` is a
few-second configuration for CI, `--compare-torch` also trains the torch twin from the same weights on
the same batches and reports how far the two loss curves drift apart.
"""
from milestones.checkpoint import load_checkpoint, save_checkpoint
from milestones.common import MilestoneResult, RunOptions
from milestones.registry import Milestone, get, milestones

__all__ = ["Milestone", "MilestoneResult", "RunOptions", "get", "milestones", "load_checkpoint", "save_checkpoint"]
