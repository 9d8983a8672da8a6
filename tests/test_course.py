"""The course file: parsing and validation, region ids, and the dependency rule of the default course
(every homework's graded pairs pass with exactly the regions of that homework and earlier ones filled in,
and score 0 on the untouched starter)."""
from __future__ import annotations

import os

import pytest

from difftests.course import check_course, course_from_dict, load_course
from difftests.skeleton import find_regions

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COURSE = os.path.join(ROOT, "course.toml")
# The fast test checks this many pairs of each homework (the first ones listed, which exercise the
# homework's own regions); `python -m difftests.course check course.toml` (and the slow test) checks all.
SAMPLE = 1


def test_region_ids_are_unique_and_every_region_has_a_docstring_naming_its_task():
    regions = find_regions()
    assert len({r.id for r in regions}) == len(regions) > 80
    for r in regions:
        assert r.docstring, f"{r.path}: {r.function} has no docstring"
        assert f"`{r.id}`" in r.docstring, f"{r.function}: the docstring does not name task {r.id}"


def test_default_course_loads_with_its_profiles():
    course = load_course(COURSE)
    assert [hw.id for hw in course.homeworks] == list(range(1, len(course.homeworks) + 1))
    first = course.homework(1)
    assert {"topological_order", "run_backward", "Add.forward", "Add.backward"} <= set(first.regions)
    profile = first.profile()
    assert profile.pairs == first.pairs and set(profile.pair_points) == set(first.pairs)
    assert profile.dtypes == ("float64", "float32") and profile.partial_credit
    assert course.regions_before(2) == first.regions
    with pytest.raises(KeyError, match="no homework 99"):
        course.homework(99)


def test_every_region_belongs_to_at_most_one_homework_and_the_engine_comes_first():
    course = load_course(COURSE)
    owners = [r for hw in course.homeworks for r in hw.regions]
    assert len(owners) == len(set(owners))
    assert "run_backward" in course.homework(1).regions


def minimal(**homework) -> dict:
    return {"name": "c", "homework": [{"id": 1, "regions": ["Add"], "pairs": ["add"], **homework}]}


@pytest.mark.parametrize("change, message", [
    ({"regions": ["Ad"]}, "unknown region 'Ad'; did you mean"),
    ({"pairs": ["ad"]}, "unknown pair 'ad'; did you mean"),
    ({"prerequisites": [1]}, "prerequisite 1 is not an earlier homework"),
    ({"color": "red"}, "unknown keys \\['color'\\]"),
    ({"visibility": "sometimes"}, "visibility must be one of"),
    ({"points": {"sub": 2}}, "unknown pair 'sub'"),
])
def test_bad_course_files_are_errors_naming_the_problem(change, message):
    with pytest.raises(ValueError, match=message):
        course_from_dict(minimal(**change))


def test_a_region_in_two_homeworks_and_a_graded_given_pair_are_errors():
    data = minimal()
    data["homework"].append({"id": 2, "regions": ["Add.forward"], "pairs": []})
    with pytest.raises(ValueError, match="region 'Add.forward' is in homework 1 and homework 2"):
        course_from_dict(data)
    with pytest.raises(ValueError, match="grades given pairs \\['add'\\]"):
        course_from_dict({**minimal(), "given": ["add"]})


def test_points_per_pair_and_overrides():
    hw = course_from_dict(minimal(pairs=["add", "fn_add"], points_per_pair=2, points={"fn_add": 0.5})).homework(1)
    assert hw.pair_points == {"add": 2.0, "fn_add": 0.5} and hw.max_score == 2.5


def test_the_default_course_follows_its_dependencies_on_a_sample():
    """Homework N's first pairs pass with the regions of 1..N filled from the solution (nothing later),
    and the untouched starter passes none of them while passing the given pairs sampled."""
    problems = check_course(load_course(COURSE), sample=SAMPLE, jobs=2)
    assert problems == []


@pytest.mark.slow
def test_the_default_course_follows_its_dependencies_fully():
    assert check_course(load_course(COURSE), jobs=2) == []


def test_unknown_area_and_pair_names_are_named_with_close_matches(capsys):
    from difftests.__main__ import main

    for argv, expected in ((["--area", "tensr"], "--area 'tensr' is unknown; did you mean tensor"),
                           (["--pair", "ad"], "--pair 'ad' is unknown; did you mean add")):
        with pytest.raises(SystemExit) as stop:  # a usage error, before any run starts
            main(argv)
        assert stop.value.code == 2
        assert expected in capsys.readouterr().err
