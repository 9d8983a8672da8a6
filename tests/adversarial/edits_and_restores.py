"""Edits a hashed trusted file (the comparison) at import and restores it at the first exp call, hoping
the runner loads the edited version and its after-run hash sees the original."""
import os

from tiny import *  # noqa: F401,F403

from ._attack import attempt, exp_runs, targets, write

_target = os.path.join(targets()["root"], "difftests", "compare.py")
_original = attempt(lambda: open(_target).read())
attempt(write, _target, str(_original).replace('result = CaseResult("passed")', 'return CaseResult("passed")'))


def attack():
    if isinstance(_original, str) and "CaseResult" in _original:
        attempt(write, _target, _original)


tensor = exp_runs(attack)
