"""`python -m difftests release --course course.toml --homework N --out DIR [--carry-from OLD_DIR]`.

Writes a student kit for homework N:
- `DIR/tiny/`: the package with every solution region stubbed (homework N's regions are today's
  tasks; later homeworks' regions are stubbed too), except that with `--carry-from OLD_DIR` the regions
  of earlier homeworks take the student's own code from `OLD_DIR/tiny` (matched by region id);
- `DIR/difftests/` and `DIR/reference/`: the same grader and torch twins, so students run locally
  `python -m difftests --impl tiny --profile hw<N>.toml` (from DIR) exactly as the autograder does;
- `DIR/hw<N>.toml`: the homework's grading profile; `DIR/HANDOUT.md`: the tasks, the functions to write
  with their contracts (their docstrings), and the command that checks one task.

No solution body is copied anywhere (tests/test_release.py greps every kit for every region's text).
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys

from difftests.course import Course, Homework, load_course
from difftests.skeleton import BEGIN, END, TINY, Region, copy_package, find_regions, stub_package

PROJECT_ROOT = os.path.dirname(TINY)
# What a kit ships besides the student package: the grader and the torch twins, never the solution.
SHIPPED = ("difftests", "reference")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")


def region_text(region: Region, pad: str, body: str) -> str:
    return f"{pad}{BEGIN} {region.id}\n{body}{pad}{END}\n"


def write_package(target: str, fill: dict[str, str]) -> dict[str, int]:
    """Copy tiny to `target`, stubbing every region whose id is not in `fill` (id -> body to put in).
    Returns the stubbed regions per file."""
    copy_package(target)
    return stub_package(target, lambda region, pad: region_text(region, pad, fill[region.id])
                        if region.id in fill else None)


def solution_package(target: str, ids) -> dict[str, int]:
    """tiny with exactly the regions `ids` filled from the solution and the rest stubbed (for the
    course's dependency check, never for students)."""
    solution = {r.id: r.body for r in find_regions()}
    return write_package(target, {i: solution[i] for i in ids})


def carried_bodies(old_kit: str, ids: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
    """The student's own bodies of regions `ids` from OLD_DIR/tiny; (bodies, ids missing there)."""
    package = os.path.join(old_kit, "tiny") if os.path.isdir(os.path.join(old_kit, "tiny")) else old_kit
    if not os.path.exists(os.path.join(package, "__init__.py")):
        raise ValueError(f"--carry-from {old_kit}: no tiny package there")
    theirs = {r.id: r.body for r in find_regions(package)}
    return {i: theirs[i] for i in ids if i in theirs}, [i for i in ids if i not in theirs]


def copy_grader(out_dir: str) -> None:
    """difftests/ and reference/ (no solution inside), plus the packaging files students need."""
    for name in SHIPPED:
        shutil.copytree(os.path.join(PROJECT_ROOT, name), os.path.join(out_dir, name), ignore=IGNORE)
    for name in ("constraints.txt", "conftest.py", "LICENSE"):
        if os.path.exists(os.path.join(PROJECT_ROOT, name)):
            shutil.copy(os.path.join(PROJECT_ROOT, name), out_dir)


def write_profile(homework: Homework, path: str) -> None:
    """The homework's Profile as a profile TOML file (difftests/profile.py's format)."""
    p = homework.profile()

    def strings(values) -> str:
        return "[" + ", ".join(f'"{v}"' for v in values) + "]"
    lines = [f'name = "{p.name}"', f"areas = {strings(p.areas or ())}", f"pairs = {strings(p.pairs)}",
             f"dtypes = {strings(p.dtypes)}", f"exclude_features = {strings(p.exclude_features)}",
             f"partial_credit = {'true' if p.partial_credit else 'false'}", f'visibility = "{p.visibility}"',
             "", "[points]"] + [f'"{k}" = {v:g}' for k, v in (p.area_points or {}).items()]
    lines += ["", "[pair_points]"] + [f'"{k}" = {v:g}' for k, v in (p.pair_points or {}).items()]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def handout(course: Course, homework: Homework, regions: dict[str, Region], carried: dict[str, str],
            missing: list[str]) -> str:
    """HANDOUT.md: the tasks, the functions with their contracts, how to check one task."""
    from difftests.registry import get

    profile = f"hw{homework.id}.toml"
    out = [f"# {course.name} — homework {homework.id}: {homework.title}", ""]
    if homework.description:
        out += [homework.description, ""]
    out += ["## Check your work", "",
            "From this directory (Python ≥ 3.10 with the pinned packages: "
            "`pip install -c constraints.txt numpy scipy torch hypothesis pytest pytest-xdist tabulate`):", "",
            "```bash",
            f"python -m difftests --impl tiny --profile {profile}          # the whole homework, as graded",
            f"python -m difftests --impl tiny --pair {homework.pairs[0] if homework.pairs else 'NAME'} -n 0"
            "   # one task's pair",
            "python -m difftests show NAME                                  # your code beside the torch twin",
            "```", "",
            f"The autograder runs the same command on your `tiny/` folder; {len(homework.pairs)} pairs are "
            f"graded, {homework.max_score:g} points.", ""]
    if homework.prerequisites:
        out += [f"Builds on homework(s) {', '.join(map(str, homework.prerequisites))}: "
                + ("your own code from them is merged in." if carried else
                   "those regions are stubbed in this kit; copy your own solutions into them first."), ""]
    if missing:
        out += [f"Not found in your previous kit (stubbed again): {', '.join(missing)}", ""]
    out += ["## Tasks", "",
            "Write each region between `# BEGIN SOLUTION <task>` and `# END SOLUTION`; the docstring of the "
            "function says what to compute and which torch behaviour the tests compare.", ""]
    for rid in homework.regions:
        r = regions[rid]
        doc = "\n".join("    " + line if line else "" for line in f'"""{r.docstring}"""'.splitlines())
        out += [f"### task `{rid}` — `tiny/{r.path}`", "", f"```python\n{r.signature}:\n{doc}\n    ...\n```", ""]
    out += ["## Graded pairs", "", "| pair | area | points |", "|---|---|---|"]
    out += [f"| `{p}` | {get(p).area} | {homework.pair_points[p]:g} |" for p in homework.pairs]
    if course.given:
        out += ["", "## Given (not graded, already implemented)", "", ", ".join(f"`{p}`" for p in course.given)]
    return "\n".join(out) + "\n"


def release(course: Course, n: int, out_dir: str, carry_from: str | None = None) -> dict:
    """Write the kit; returns {"tasks": [...], "carried": [...], "missing": [...]}."""
    homework = course.homework(n)
    regions = {r.id: r for r in find_regions()}
    earlier = course.regions_before(n)
    carried, missing = carried_bodies(carry_from, earlier) if carry_from else ({}, [])
    if os.path.exists(out_dir) and os.listdir(out_dir):
        raise FileExistsError(f"{out_dir} exists and is not empty; choose a new --out")
    os.makedirs(out_dir, exist_ok=True)
    write_package(os.path.join(out_dir, "tiny"), carried)
    copy_grader(out_dir)
    write_profile(homework, os.path.join(out_dir, f"hw{n}.toml"))
    with open(os.path.join(out_dir, "HANDOUT.md"), "w") as f:
        f.write(handout(course, homework, regions, carried, missing))
    return {"tasks": list(homework.regions), "carried": sorted(carried), "missing": missing}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m difftests release", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--course", required=True, help="the course file (course.toml)")
    parser.add_argument("--homework", type=int, required=True, help="homework number N")
    parser.add_argument("--out", required=True, help="directory for the kit (new or empty)")
    parser.add_argument("--carry-from", help="the student's previous kit: earlier homeworks' regions come from it")
    args = parser.parse_args(argv)
    try:
        course = load_course(args.course)
        result = release(course, args.homework, args.out, args.carry_from)
    except (ValueError, KeyError, FileExistsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"kit for homework {args.homework}: {args.out}")
    print(f"  tasks ({len(result['tasks'])}): {', '.join(result['tasks'])}")
    if args.carry_from:
        print(f"  carried from {args.carry_from}: {len(result['carried'])} region(s)")
        if result["missing"]:
            print(f"  not found there (stubbed): {', '.join(result['missing'])}")
    print(f"  handout: {os.path.join(args.out, 'HANDOUT.md')}")
    return 0
