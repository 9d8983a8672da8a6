"""`python -m difftests skeleton OUT_DIR [--areas A ...]`: a student starter package.

tiny marks the code students write with `# BEGIN SOLUTION` / `# END SOLUTION`. The skeleton is a copy
of tiny in which the regions of the chosen areas become `raise NotImplementedError(...)`, while
signatures, docstrings, the functional wrappers and the rest of the engine stay. Pointing the runner
at it (`python -m difftests --impl OUT_DIR/tiny`) reports those ops "not implemented"; filling a region
in turns exactly its pairs green. Work goes area by area, in course order.
"""
from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import sys

TINY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tiny")
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"

# Course order, and the files whose solution regions belong to each area.
AREA_FILES = {
    "tensor": ["ops/*.py"],
    "autograd": ["autograd/engine.py"],
    "nn": ["nn/activation.py", "nn/linear.py", "nn/normalization.py", "nn/embedding.py", "nn/dropout.py"],
    "losses": ["nn/loss.py"],
    "optim": ["optim/*.py"],
    "conv": ["nn/conv.py", "nn/pooling.py", "nn/padding.py"],
    "attention": ["nn/attention.py"],
    "gpt": ["models/gpt.py"],
    "generation": ["generation/*.py"],
    "quant": ["quant/*.py"],
    "prune": ["nn/utils/prune.py", "nn/utils/distill.py", "nn/utils/low_rank.py"],
    "profiler": ["profiler/flops.py", "profiler/parameters.py"],
}
REGION = re.compile(rf"^(?P<pad>[ \t]*){re.escape(BEGIN)}\n(?P<body>.*?)^(?P=pad){re.escape(END)}\n",
                    re.MULTILINE | re.DOTALL)


def strip_regions(source: str, where: str) -> tuple[str, int]:
    """Replace every solution region by a NotImplementedError; returns (new source, count)."""
    count = 0

    def replace(match: re.Match) -> str:
        nonlocal count
        count += 1
        line = source.count("\n", 0, match.start()) + 2
        pad = match.group("pad")
        return (f"{pad}{BEGIN}\n{pad}raise NotImplementedError(\"{where}:{line}: "
                f"fill in this region\")\n{pad}{END}\n")
    new = REGION.sub(replace, source)
    if new.count(BEGIN) != source.count(BEGIN):
        raise ValueError(f"{where}: unbalanced solution markers")
    return new, count


def area_files(root: str, area: str) -> list[str]:
    return sorted(p for pattern in AREA_FILES[area] for p in glob.glob(os.path.join(root, pattern)))


def make_skeleton(out_dir: str, areas: list[str] | None = None) -> dict[str, int]:
    """Write OUT_DIR/tiny; returns regions stripped per file (relative path)."""
    unknown = set(areas or []) - set(AREA_FILES)
    if unknown:
        raise ValueError(f"unknown areas {sorted(unknown)}; choose from {list(AREA_FILES)}")
    target = os.path.join(out_dir, "tiny")
    if os.path.exists(target):
        raise FileExistsError(f"{target} exists; choose an empty OUT_DIR")
    shutil.copytree(TINY, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    stripped = {}
    for area in areas or list(AREA_FILES):
        for path in area_files(target, area):
            relative = os.path.relpath(path, out_dir)
            with open(path) as f:
                source, count = strip_regions(f.read(), relative)
            with open(path, "w") as f:
                f.write(source)
            if count:
                stripped[relative] = count
    return stripped


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m difftests skeleton", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir")
    parser.add_argument("--areas", nargs="+", help=f"areas to strip (default all): {list(AREA_FILES)}")
    args = parser.parse_args(argv)
    try:
        stripped = make_skeleton(args.out_dir, args.areas)
    except (ValueError, FileExistsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path, count in stripped.items():
        print(f"{path}: {count} region(s) to implement")
    print(f"\nstarter package: {os.path.join(args.out_dir, 'tiny')}\n"
          f"check it: python -m difftests --impl {os.path.join(args.out_dir, 'tiny')}")
    return 0
