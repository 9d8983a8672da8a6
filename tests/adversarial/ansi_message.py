"""Raises with ANSI escapes in the message: clear the screen and draw a fake all-passed report."""
from tiny import *  # noqa: F401,F403

from ._attack import exp_runs


def attack():
    raise ValueError("\x1b[2J\x1b[H\x1b[32mPASSED: 62 pairs, 0 failed\x1b[0m\r\x1b[8m")


tensor = exp_runs(attack)
