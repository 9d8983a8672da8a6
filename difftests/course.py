"""A course declared once: `course.toml` lists the homeworks in order.

The file extends the course-profile format (`difftests/profile.py`): its top-level keys `name`,
`dtypes`, `exclude_features`, `partial_credit` and `visibility` are the defaults of every homework's
profile, and each `[[homework]]` table adds:

    [[homework]]
    id = 1                                  # 1, 2, ... in course order
    title = "The autograd engine and arithmetic"
    regions = ["topological_order", "run_backward", "Add", "Sub"]   # solution regions students write
    pairs = ["add", "fn_add", "sub"]        # the units graded (pairs of `python -m difftests list`)
    prerequisites = []                      # homework ids whose regions this one builds on
    points_per_pair = 1.0                   # default points of each graded pair
    [homework.points]                       # optional per-pair overrides
    add = 2
    # optional overrides of the course defaults: dtypes, visibility, partial_credit

Regions are named by id (`Add.forward`) or by a prefix ending at a dot (`Add` → `Add.forward`,
`Add.backward`); see difftests/skeleton.py for how ids are derived. A region belongs to at most one
homework. The top-level `given` list names pairs whose code is given in the starter package (no region
of theirs is written by students): they are never graded and the handout lists them as given.

Rule checked by tests/test_course.py: every graded pair of homework N passes when exactly the regions
of homeworks 1..N are filled in (no later region is needed), and scores 0 on the untouched starter.
"""
from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field

from difftests.profile import Profile, VISIBILITIES
from difftests.skeleton import Region, find_regions, select

HOMEWORK_KEYS = {"id", "title", "regions", "pairs", "prerequisites", "points_per_pair", "points", "dtypes",
                 "visibility", "partial_credit", "description"}
COURSE_KEYS = {"name", "dtypes", "exclude_features", "partial_credit", "visibility", "given", "homework"}


@dataclass(frozen=True)
class Homework:
    id: int
    title: str
    regions: tuple[str, ...]          # region ids (selectors expanded)
    pairs: tuple[str, ...]
    prerequisites: tuple[int, ...] = ()
    pair_points: dict[str, float] = field(default_factory=dict)
    description: str = ""
    course_name: str = "course"
    dtypes: tuple[str, ...] = ("float64", "float32")
    exclude_features: tuple[str, ...] = ()
    partial_credit: bool = True
    visibility: str = "visible"

    @property
    def max_score(self) -> float:
        return sum(self.pair_points.values())

    def profile(self) -> Profile:
        """The profile that grades this homework: its pairs, their points, the course's dtypes. Each
        area's points are the sum of its graded pairs' points (so the homework's total is the sum of
        the pairs'), and `pair_points` weighs the pairs inside their area."""
        from difftests.registry import get

        area_points: dict[str, float] = {}
        for pair, points in self.pair_points.items():
            area = get(pair).area
            area_points[area] = area_points.get(area, 0.0) + points
        return Profile(name=f"{self.course_name} hw{self.id}", areas=tuple(area_points), pairs=self.pairs,
                       dtypes=self.dtypes, exclude_features=self.exclude_features, area_points=area_points,
                       pair_points=dict(self.pair_points), partial_credit=self.partial_credit,
                       visibility=self.visibility)


@dataclass(frozen=True)
class Course:
    name: str
    homeworks: tuple[Homework, ...]
    given: tuple[str, ...]
    path: str = ""

    def homework(self, n: int) -> Homework:
        for hw in self.homeworks:
            if hw.id == n:
                return hw
        raise KeyError(f"{self.path or 'course'}: no homework {n}; homeworks: {[h.id for h in self.homeworks]}")

    def regions_before(self, n: int) -> tuple[str, ...]:
        return tuple(r for hw in self.homeworks if hw.id < n for r in hw.regions)

    def regions_through(self, n: int) -> tuple[str, ...]:
        return tuple(r for hw in self.homeworks if hw.id <= n for r in hw.regions)

    def assigned(self) -> set[str]:
        return {r for hw in self.homeworks for r in hw.regions}


def _strings(value, key: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: {key!r} must be a list of strings")
    return tuple(value)


def _check_pairs(names: tuple[str, ...], known: list[str], where: str) -> None:
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=4)
            raise ValueError(f"{where}: unknown pair {name!r}" + (f"; did you mean {', '.join(close)}?"
                                                                  if close else ""))


def _homework(table: dict, defaults: dict, regions: list[Region], known_pairs: list[str], where: str) -> Homework:
    unknown = set(table) - HOMEWORK_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}; known: {sorted(HOMEWORK_KEYS)}")
    if not isinstance(table.get("id"), int):
        raise ValueError(f"{where}: 'id' must be an integer")
    pairs = _strings(table.get("pairs", []), "pairs", where)
    _check_pairs(pairs, known_pairs, where)
    if len(set(pairs)) != len(pairs):
        raise ValueError(f"{where}: a pair is listed twice")
    chosen = select(list(_strings(table.get("regions", []), "regions", where)), regions, f"{where}: ")
    each = float(table.get("points_per_pair", 1.0))
    overrides = table.get("points", {})
    _check_pairs(tuple(overrides), list(pairs), f"{where} [points] (only graded pairs)")
    visibility = table.get("visibility", defaults["visibility"])
    if visibility not in VISIBILITIES:
        raise ValueError(f"{where}: visibility must be one of {list(VISIBILITIES)}")
    return Homework(id=table["id"], title=str(table.get("title", f"Homework {table['id']}")),
                    regions=tuple(r.id for r in chosen), pairs=pairs,
                    prerequisites=tuple(table.get("prerequisites", [])),
                    pair_points={p: float(overrides.get(p, each)) for p in pairs},
                    description=str(table.get("description", "")).strip(), course_name=defaults["name"],
                    dtypes=_strings(table.get("dtypes", list(defaults["dtypes"])), "dtypes", where),
                    exclude_features=defaults["exclude_features"],
                    partial_credit=bool(table.get("partial_credit", defaults["partial_credit"])),
                    visibility=visibility)


def course_from_dict(data: dict, where: str = "course", regions: list[Region] | None = None) -> Course:
    from difftests.registry import all_pairs

    unknown = set(data) - COURSE_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}; known: {sorted(COURSE_KEYS)}")
    regions = find_regions() if regions is None else regions
    known_pairs = [p.name for p in all_pairs()]
    defaults = {"name": str(data.get("name", "course")),
                "dtypes": _strings(data.get("dtypes", ["float64", "float32"]), "dtypes", where),
                "exclude_features": _strings(data.get("exclude_features", []), "exclude_features", where),
                "partial_credit": bool(data.get("partial_credit", True)),
                "visibility": data.get("visibility", "visible")}
    given = _strings(data.get("given", []), "given", where)
    _check_pairs(given, known_pairs, f"{where}: given")
    homeworks = [_homework(t, defaults, regions, known_pairs, f"{where}: homework {t.get('id', i + 1)}")
                 for i, t in enumerate(data.get("homework", []))]
    ids = [hw.id for hw in homeworks]
    if ids != sorted(set(ids)):
        raise ValueError(f"{where}: homework ids must be distinct and in course order, got {ids}")
    owner: dict[str, int] = {}
    for hw in homeworks:
        for pre in hw.prerequisites:
            if pre not in ids or pre >= hw.id:
                raise ValueError(f"{where}: homework {hw.id}: prerequisite {pre} is not an earlier homework")
        for r in hw.regions:
            if r in owner:
                raise ValueError(f"{where}: region {r!r} is in homework {owner[r]} and homework {hw.id}")
            owner[r] = hw.id
        graded_given = set(hw.pairs) & set(given)
        if graded_given:
            raise ValueError(f"{where}: homework {hw.id} grades given pairs {sorted(graded_given)}")
    return Course(name=defaults["name"], homeworks=tuple(homeworks), given=given, path=where)


def load_course(path: str) -> Course:
    """Parse and validate a course file (unknown regions, pairs or keys are errors naming them)."""
    with open(path, "rb") as f:
        return course_from_dict(tomllib.load(f), path)


# ----- the dependency check -------------------------------------------------------------------------
def run_pairs(package: str, pairs: list[str], workdir: str, workers: str = "0") -> dict[str, str]:
    """{pair: status} of `python -m difftests --impl package --pair ...` (a subprocess, so the package
    named tiny never meets the trusted tiny in this process)."""
    import json
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    report = os.path.join(workdir, "report.json")
    cmd = [sys.executable, "-m", "difftests", "--impl", package, "-n", workers, "--json", report]
    for pair in pairs:
        cmd += ["--pair", pair]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=3600)
    if not os.path.exists(report):
        raise RuntimeError(f"the runner wrote no report:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    with open(report) as f:
        data = json.load(f)
    os.remove(report)
    return {p["pair"]: p["status"] for p in data["pairs"]}


def check_course(course: Course, homeworks: list[int] | None = None, sample: int | None = None,
                 starter: bool = True, harness: list[str] | None = None, jobs: int = 1) -> list[str]:
    """The course's dependency rule; returns the problems found (empty = the rule holds).

    For each homework N: tiny with exactly the regions of homeworks 1..N filled from the solution (the rest
    stubbed) passes every graded pair of N. With `starter`: the untouched starter (every region stubbed)
    passes none of the graded pairs and every `given` pair. `sample` checks only the first K pairs of each
    homework (the fast test); None checks them all. A pair that fails even with the complete solution
    says nothing about the course: it goes to `harness` (when given), not to the problems. `jobs` runs
    that many checks at once (each is its own runner process)."""
    import os
    import tempfile
    from concurrent.futures import ThreadPoolExecutor

    from difftests.release import solution_package

    problems: list[str] = []
    harness = [] if harness is None else harness
    chosen = [hw for hw in course.homeworks if homeworks is None or hw.id in homeworks]
    graded = {hw.id: list(hw.pairs[:sample] if sample else hw.pairs) for hw in chosen}
    given = list(course.given[:sample] if sample else course.given)
    with tempfile.TemporaryDirectory(prefix="course-check-") as tmp:
        def check(name: str, ids, pairs: list[str]) -> dict[str, str]:
            folder = os.path.join(tmp, name)
            solution_package(os.path.join(folder, "tiny"), ids)
            return run_pairs(os.path.join(folder, "tiny"), pairs, folder)

        runs = [(f"hw{hw.id}", course.regions_through(hw.id), graded[hw.id]) for hw in chosen]
        if starter:
            runs.append(("starter", (), [p for pairs in graded.values() for p in pairs] + given))
        with ThreadPoolExecutor(max(1, jobs)) as pool:
            results = dict(zip([name for name, _, _ in runs], pool.map(lambda run: check(*run), runs)))
        missed = {hw.id: [p for p in graded[hw.id] if results[f"hw{hw.id}"].get(p) != "passed"] for hw in chosen}
        wanted = sorted({p for pairs in missed.values() for p in pairs})
        # A pair the complete solution fails too is a harness problem, not a dependency.
        baseline = check("full", [r.id for r in find_regions()], wanted) if wanted else {}
        for hw in chosen:
            for p in missed[hw.id]:
                where = (f"homework {hw.id}: pair {p} is {results[f'hw{hw.id}'].get(p, 'not run')} with the "
                         f"regions of homeworks 1..{hw.id} filled in")
                if baseline.get(p) == "passed":
                    problems.append(where)
                else:
                    harness.append(f"{where}, and {baseline.get(p, 'not run')} with the whole solution too")
        if starter:
            statuses = results["starter"]
            problems += [f"starter: graded pair {p} passes without any student code (list it as given)"
                         for pairs in graded.values() for p in pairs if statuses.get(p) == "passed"]
            problems += [f"starter: given pair {p} is {statuses.get(p, 'not run')} (it needs student code)"
                         for p in given if statuses.get(p) != "passed"]
    return problems


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m difftests.course",
                                     description="check COURSE: every homework's graded pairs need only the "
                                                 "regions of that homework and earlier ones")
    parser.add_argument("command", choices=["check"])
    parser.add_argument("course")
    parser.add_argument("--homework", type=int, action="append", help="only this homework (repeatable)")
    parser.add_argument("--sample", type=int, help="only the first K pairs of each homework")
    parser.add_argument("--jobs", type=int, default=1, help="checks run at once (default 1)")
    parser.add_argument("--no-starter", dest="starter", action="store_false",
                        help="skip the starter check (graded pairs 0, given pairs pass)")
    args = parser.parse_args(argv)
    course = load_course(args.course)
    unassigned = sorted({r.id for r in find_regions()} - course.assigned())
    if unassigned:  # stubbed in every kit, taught by no homework
        print(f"warning: {len(unassigned)} region(s) in no homework: {', '.join(unassigned)}")
    harness: list[str] = []
    problems = check_course(course, args.homework, args.sample, args.starter, harness, args.jobs)
    for line in harness:
        print(f"warning (fails with the complete solution too): {line}")
    for line in problems:
        print(line)
    print(f"{'OK' if not problems else 'FAILED'}: {len(problems)} problem(s)")
    return 0 if not problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
