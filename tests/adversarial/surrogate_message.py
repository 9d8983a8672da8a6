"""Raises with a lone surrogate (U+D800) in the message and prints one, to crash the runner's printing."""
import sys

from tiny import *  # noqa: F401,F403

from ._attack import exp_runs


def attack():
    print("\ud800", file=sys.stderr)
    raise ValueError("broken \ud800 text \udfff")


tensor = exp_runs(attack)
