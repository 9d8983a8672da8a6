"""The milestones `python -m milestones` knows: each module in MILESTONE_MODULES registers itself with
`register(Milestone(...))`. Adding one (e.g. the vision milestones: 1957 perceptron, 1986 backprop MLP,
1998 LeNet-5) is a new module with a `run(options) -> MilestoneResult` and one line in MILESTONE_MODULES."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

from milestones.common import MilestoneResult, RunOptions, blas_threads

__all__ = ["Milestone", "register", "milestones", "get", "run", "MILESTONE_MODULES"]

MILESTONE_MODULES = ("milestones.transformer_2017", "milestones.char_gpt")
MILESTONE_MODULES += ("milestones.perceptron_1957", "milestones.xor_1969", "milestones.mlp_1986",
                      "milestones.lenet_1998")  # vision (issue 11)


@dataclass(frozen=True)
class Milestone:
    name: str
    year: int
    title: str
    goal: str          # what the full run must reach
    run: Callable[[RunOptions], MilestoneResult]


_REGISTRY: dict[str, Milestone] = {}


def register(milestone: Milestone) -> Milestone:
    if milestone.name in _REGISTRY:
        raise ValueError(f"milestone {milestone.name!r} is registered twice")
    _REGISTRY[milestone.name] = milestone
    return milestone


def _load() -> None:
    for module in MILESTONE_MODULES:
        importlib.import_module(module)


def milestones() -> list[Milestone]:
    """Every registered milestone, by year."""
    _load()
    return sorted(_REGISTRY.values(), key=lambda m: (m.year, m.name))


def get(name: str) -> Milestone:
    _load()
    if name not in _REGISTRY:
        raise KeyError(f"unknown milestone {name!r}; known: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def run(name: str, options: RunOptions) -> MilestoneResult:
    """Run the milestone `name` with `options.threads` BLAS threads."""
    milestone = get(name)
    with blas_threads(options.threads):
        return milestone.run(options)
