"""Student kits: no solution text anywhere, stubs that name their function, the student's earlier work
carried over, a handout, and `skeleton --areas` that strips what it says."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from difftests.course import load_course
from difftests.release import release, solution_package
from difftests.skeleton import find_regions, make_skeleton

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COURSE = os.path.join(ROOT, "course.toml")


def normalized(text: str) -> str:
    return " ".join(text.split())


def kit_texts(kit: str) -> dict[str, str]:
    texts = {}
    for folder, _, files in os.walk(kit):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, errors="replace") as f:
                texts[os.path.relpath(path, kit)] = normalized(f.read())
    return texts


def public_text() -> str:
    """What the grader ships anyway (torch twins and difftests): text found there is not a leak."""
    return normalized(" ".join(text for folder in ("reference", "difftests")
                               for text in kit_texts(os.path.join(ROOT, folder)).values()))


def assert_no_solution(kit: str, exempt: set[str] = frozenset()) -> None:
    texts = kit_texts(kit)
    package = {p: t for p, t in texts.items() if p.startswith("tiny" + os.sep)}
    public = public_text()
    shared = []
    for region in find_regions():
        body = normalized(region.body)
        if region.id in exempt:
            continue
        in_package = [p for p, t in package.items() if body in t]
        assert not in_package, f"solution of {region.id} found in {in_package}"
        leaked = [p for p, t in texts.items() if body in t]
        if leaked:  # only a trivial line the torch twin also has (`return a + b`) may appear outside tiny/
            assert body in public and len(body) <= 15, f"solution of {region.id} found in {leaked}"
            shared.append(region.id)
    assert len(shared) <= 3, shared


def test_release_kit_has_no_solution_a_handout_and_named_stubs(tmp_path):
    course = load_course(COURSE)
    kit = str(tmp_path / "kit")
    result = release(course, 3, kit)
    assert result["tasks"] == list(course.homework(3).regions)
    assert_no_solution(kit)
    for folder in ("tiny", "difftests", "reference"):
        assert os.path.isdir(os.path.join(kit, folder))
    handout = open(os.path.join(kit, "HANDOUT.md")).read()
    assert "### task `MatMul.forward`" in handout and "python -m difftests --impl tiny --profile hw3.toml" in handout
    assert "| `matmul` | tensor | 1 |" in handout
    stub = open(os.path.join(kit, "tiny", "ops", "matmul.py")).read()
    assert 'raise NotImplementedError("MatMul.forward: not implemented yet' in stub
    assert "# BEGIN SOLUTION MatMul.forward" in stub
    assert ":1" not in stub.split("NotImplementedError(")[1].split(")")[0]  # no line numbers
    with pytest.raises(FileExistsError):
        release(course, 3, kit)


def test_carry_from_merges_the_students_earlier_work_and_stubs_the_rest(tmp_path):
    course = load_course(COURSE)
    old = tmp_path / "hw1"
    release(course, 1, str(old))
    # The student's own homework 1: the solution, with a marker comment of theirs in Add.forward.
    student = tmp_path / "student"
    solution_package(str(student / "tiny"), course.regions_through(1))
    arithmetic = student / "tiny" / "ops" / "arithmetic.py"
    arithmetic.write_text(arithmetic.read_text().replace("return a + b", "return a + b  # mine", 1))
    kit = tmp_path / "hw2"
    result = release(course, 2, str(kit), carry_from=str(student))
    assert result["carried"] == sorted(course.regions_before(2)) and result["missing"] == []
    text = (kit / "tiny" / "ops" / "arithmetic.py").read_text()
    assert "return a + b  # mine" in text
    assert 'raise NotImplementedError("Exp.forward' in (kit / "tiny" / "ops" / "unary.py").read_text()
    assert_no_solution(str(kit), exempt=set(course.regions_before(2)))


def test_skeleton_strips_every_region_and_rejects_areas_without_regions(tmp_path):
    tasks = make_skeleton(str(tmp_path / "s"), ["tensor", "autograd"])
    assert tasks["tiny/autograd/engine.py"] == 2 and "tiny/nn/loss.py" not in tasks
    assert_no_solution(str(tmp_path / "s"))  # nn, losses, optim... are stubbed too
    for area, message in (("gpt", "has no solution regions"), ("tensr", "did you mean tensor")):
        with pytest.raises(ValueError, match=message):
            make_skeleton(str(tmp_path / area), [area])


def test_release_command_line(tmp_path):
    out = tmp_path / "kit"
    proc = subprocess.run([sys.executable, "-m", "difftests", "release", "--course", COURSE, "--homework", "1",
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert f"tasks ({len(load_course(COURSE).homework(1).regions)})" in proc.stdout and (out / "hw1.toml").exists()
    proc = subprocess.run([sys.executable, "-m", "difftests", "release", "--course", COURSE, "--homework", "99",
                           "--out", str(tmp_path / "x")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "no homework 99" in proc.stderr
