"""Solution regions, and `python -m difftests skeleton OUT_DIR [--areas A ...]`: a student starter package.

tiny marks the code students write with `# BEGIN SOLUTION` / `# END SOLUTION`. Every region has a
stable **region id**: the qualified name of the function that holds it (`Add.forward`,
`topological_order`, `SGD._update`), or the name written after the marker (`# BEGIN SOLUTION my_id`)
when a function holds several regions. Ids are unique across tiny (tests/test_course.py checks it);
course files (`course.toml`) list the regions of each homework by id, or by a prefix ending at a dot
(`Add` selects `Add.forward` and `Add.backward`).

A stub replaces the region's body by `raise NotImplementedError("<id>: ...")` — the message names the
function, never a line number — and keeps the signature and the docstring, which says what to compute.

The skeleton is a copy of tiny in which **every** region is stubbed (a starter package never carries
solution text); `--areas` picks the areas whose regions are listed as today's tasks. For homework
kits with earlier work merged in, use `python -m difftests release` (difftests/release.py).
"""
from __future__ import annotations

import argparse
import ast
import difflib
import fnmatch
import glob
import os
import re
import shutil
import sys
from dataclasses import dataclass

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
    "accel": ["accel/*.py"],
}
REGION = re.compile(rf"^(?P<pad>[ \t]*){re.escape(BEGIN)}(?:[ \t]+(?P<id>[\w.]+))?[ \t]*\n(?P<body>.*?)"
                    rf"^(?P=pad){re.escape(END)}[ \t]*\n", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Region:
    id: str          # "Add.forward"
    path: str        # relative to the package root: "ops/arithmetic.py"
    function: str    # qualified name of the enclosing function: "Add.forward"
    body: str        # the solution text between the markers
    docstring: str   # the enclosing function's docstring ("" if none)
    signature: str   # "def forward(ctx, a, b)"


def _functions(tree: ast.AST) -> list[tuple[str, ast.AST]]:
    """(qualified name, node) of every function, outermost first."""
    found = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    found.append((name, child))
                walk(child, name + ".")
    walk(tree, "")
    return found


def regions_in(source: str, path: str) -> list[Region]:
    """The solution regions of one file, in order; raises ValueError on unbalanced markers."""
    if source.count(BEGIN) != source.count(END) or source.count(BEGIN) != len(REGION.findall(source)):
        raise ValueError(f"{path}: unbalanced or malformed solution markers")
    if BEGIN not in source:
        return []
    functions = _functions(ast.parse(source))
    lines = source.splitlines()
    found = []
    for match in REGION.finditer(source):
        line = source.count("\n", 0, match.start()) + 1
        enclosing = [(n, f) for n, f in functions if f.lineno <= line <= f.end_lineno]
        if not enclosing:
            raise ValueError(f"{path}: a solution region outside any function")
        name, node = max(enclosing, key=lambda nf: nf[1].lineno)
        header = lines[node.lineno - 1].strip().rstrip(":")
        found.append(Region(id=match.group("id") or name, path=path, function=name, body=match.group("body"),
                            docstring=ast.get_docstring(node) or "", signature=header))
    return found


def find_regions(root: str = TINY) -> list[Region]:
    """Every solution region under the package directory `root`; ids must be unique."""
    regions: list[Region] = []
    for path in sorted(glob.glob(os.path.join(root, "**", "*.py"), recursive=True)):
        with open(path) as f:
            regions += regions_in(f.read(), os.path.relpath(path, root))
    seen: dict[str, str] = {}
    for r in regions:
        if r.id in seen:
            raise ValueError(f"region id {r.id!r} used twice ({seen[r.id]}, {r.path}); name one "
                             f"explicitly: '{BEGIN} <id>'")
        seen[r.id] = r.path
    return regions


def area_of(path: str) -> str | None:
    """The course area a file of the package (relative path) belongs to."""
    for area, patterns in AREA_FILES.items():
        if any(fnmatch.fnmatch(path, p) for p in patterns):
            return area
    return None


def select(selectors: list[str], regions: list[Region], where: str = "") -> list[Region]:
    """Regions named by ids or id prefixes (`Add` → `Add.forward`, `Add.backward`); unknown → error."""
    chosen, ids = [], [r.id for r in regions]
    for sel in selectors:
        matched = [r for r in regions if r.id == sel or r.id.startswith(sel + ".")]
        if not matched:
            close = difflib.get_close_matches(sel, ids + sorted({i.split(".")[0] for i in ids}), n=4)
            raise ValueError(f"{where}unknown region {sel!r}" + (f"; did you mean {', '.join(close)}?"
                                                                  if close else ""))
        chosen += [r for r in matched if r not in chosen]
    return chosen


def stub_text(region: Region, pad: str) -> str:
    return (f"{pad}{BEGIN} {region.id}\n{pad}raise NotImplementedError(\"{region.function}: not implemented "
            f"yet (task {region.id}; its docstring says what to compute)\")\n{pad}{END}\n")


def rewrite(source: str, path: str, replace) -> str:
    """Rewrite each region of a file: replace(region, pad) -> the new text of the whole region block,
    or None to keep it."""
    regions = iter(regions_in(source, path))

    def sub(match: re.Match) -> str:
        region = next(regions)
        new = replace(region, match.group("pad"))
        return match.group(0) if new is None else new
    return REGION.sub(sub, source)


def strip_regions(source: str, where: str) -> tuple[str, int]:
    """Replace every solution region by a NotImplementedError stub; returns (new source, count)."""
    count = len(regions_in(source, where))
    return rewrite(source, where, stub_text), count


def copy_package(target: str, source_root: str = TINY) -> None:
    if os.path.exists(target):
        raise FileExistsError(f"{target} exists; choose an empty OUT_DIR")
    shutil.copytree(source_root, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def stub_package(package: str, keep=lambda region, pad: None) -> dict[str, int]:
    """Stub every region of the package dir in place, except where keep(region, pad) returns the text to
    put instead. Returns the number of stubbed regions per file."""
    stubbed: dict[str, int] = {}
    for path in sorted(glob.glob(os.path.join(package, "**", "*.py"), recursive=True)):
        relative = os.path.relpath(path, package)
        with open(path) as f:
            source = f.read()
        if BEGIN not in source:
            continue
        count = 0

        def replace(region: Region, pad: str) -> str:
            nonlocal count
            kept = keep(region, pad)
            if kept is not None:
                return kept
            count += 1
            return stub_text(region, pad)
        with open(path, "w") as f:
            f.write(rewrite(source, relative, replace))
        if count:
            stubbed[relative] = count
    return stubbed


def make_skeleton(out_dir: str, areas: list[str] | None = None) -> dict[str, int]:
    """Write OUT_DIR/tiny with every region stubbed; returns the regions of `areas` (default all) per
    file — today's tasks. An unknown area, or one without regions, is an error."""
    regions = find_regions()
    for area in areas or []:
        if area not in AREA_FILES:
            close = difflib.get_close_matches(area, list(AREA_FILES), n=3)
            raise ValueError(f"unknown area {area!r}" + (f"; did you mean {', '.join(close)}?" if close else "")
                             + f" (areas: {list(AREA_FILES)})")
        if not any(area_of(r.path) == area for r in regions):
            raise ValueError(f"area {area!r} has no solution regions to strip (its code is given): "
                             f"choose from {[a for a in AREA_FILES if any(area_of(r.path) == a for r in regions)]}")
    target = os.path.join(out_dir, "tiny")
    copy_package(target)
    stub_package(target)
    tasks: dict[str, int] = {}
    for r in regions:
        if areas is None or area_of(r.path) in areas:
            key = os.path.join("tiny", r.path)
            tasks[key] = tasks.get(key, 0) + 1
    return tasks


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m difftests skeleton", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir")
    parser.add_argument("--areas", nargs="+", help=f"areas listed as tasks (default all): {list(AREA_FILES)}")
    args = parser.parse_args(argv)
    try:
        tasks = make_skeleton(args.out_dir, args.areas)
    except (ValueError, FileExistsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path, count in tasks.items():
        print(f"{path}: {count} region(s) to implement")
    print(f"\nstarter package: {os.path.join(args.out_dir, 'tiny')} (every solution region is stubbed; "
          f"the ones above are this assignment's)\n"
          f"check it: python -m difftests --impl {os.path.join(args.out_dir, 'tiny')}")
    return 0
