"""Submissions for the grading tests, built from the solution package and the starter kit."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAIRS = ["add", "sub", "mul", "exp", "relu", "neg"]
PAIR_ARGS = [arg for name in PAIRS for arg in ("--pair", name)]

# (file under tiny/, text, replacement): each makes one pair fail or be missing
BUGS = {
    "sub_forward": ("ops/arithmetic.py", "        return a - b\n", "        return b - a\n"),
    "mul_backward": ("ops/arithmetic.py", "        return grad * b, grad * a\n", "        return grad * a, grad * b\n"),
    "exp_backward": ("ops/unary.py", "        (result,) = ctx.saved_tensors\n        return grad * result\n",
                     "        (result,) = ctx.saved_tensors\n        return result\n"),
    "relu_missing": ("ops/unary.py",
                     "        ctx.save_for_backward(x)\n        return np.maximum(x, np.zeros((), x.dtype))\n",
                     "        raise NotImplementedError('relu: TODO')\n"),
    "add_backward": ("ops/arithmetic.py", "        return grad, grad\n", "        return grad, grad * 2\n"),
}


def copy_solution(target: str) -> str:
    """A copy of the solution package at `target` (its imports say `tiny`, whatever the folder name)."""
    shutil.copytree(os.path.join(ROOT, "tiny"), target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def break_it(package: str, *bugs: str) -> None:
    for bug in bugs:
        relative, old, new = BUGS[bug]
        path = os.path.join(package, relative)
        with open(path) as f:
            text = f.read()
        if text.count(old) != 1:
            raise AssertionError(f"bug {bug}: the text to replace is not found exactly once in {relative}")
        with open(path, "w") as f:
            f.write(text.replace(old, new))


def starter_kit(target: str) -> str:
    """The untouched starter package (`python -m difftests skeleton`) at `target`."""
    scratch = target + ".kit"
    subprocess.run([sys.executable, "-m", "difftests", "skeleton", scratch], cwd=ROOT, check=True,
                   capture_output=True)
    shutil.move(os.path.join(scratch, "tiny"), target)
    shutil.rmtree(scratch)
    return target


def five_submissions(folder: str) -> dict[str, dict]:
    """The folder of issue 10: name -> expected status per pair (None: cannot be imported)."""
    os.makedirs(folder)
    copy_solution(os.path.join(folder, "solution"))
    starter_kit(os.path.join(folder, "starter"))
    break_it(copy_solution(os.path.join(folder, "halfdone")), "sub_forward", "mul_backward", "exp_backward",
             "relu_missing")
    with open(os.path.join(starter_kit(os.path.join(folder, "syntaxerr")), "ops", "arithmetic.py"), "a") as f:
        f.write("\ndef broken(:\n")
    os.makedirs(os.path.join(folder, "nested"))
    break_it(copy_solution(os.path.join(folder, "nested", "tiny")), "add_backward")
    passed = {p: "passed" for p in PAIRS}
    return {
        "solution": passed,
        "starter": {p: "not_implemented" for p in PAIRS},
        "halfdone": {**passed, "sub": "failed", "mul": "failed", "exp": "failed", "relu": "not_implemented"},
        "syntaxerr": None,
        "nested": {**passed, "add": "failed"},
    }
