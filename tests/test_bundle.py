"""The Gradescope bundle: built, unzipped to a temp dir standing in for /autograder, its run_autograder
run on a good, a buggy and a non-importing submission; results.json always written and valid."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from difftests.bundle import build_bundle
from difftests.release import solution_package
from difftests.skeleton import find_regions

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENGINE_AND_ARITHMETIC = ["topological_order", "run_backward", "Add", "Sub", "Mul", "Div", "Neg", "Pow"]
# Gradescope's documented top-level keys and per-test keys (autograder specifications page).
TOP_KEYS = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
            "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
TEST_KEYS = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
             "tags", "visibility", "extra_data"}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}


def validate(results: dict) -> None:
    assert set(results) <= TOP_KEYS, set(results) - TOP_KEYS
    assert isinstance(results["score"], (int, float)) and isinstance(results["execution_time"], (int, float))
    assert results.get("output_format", "text") in {"text", "html", "simple_format", "md", "ansi"}
    assert results.get("visibility", "visible") in VISIBILITIES
    for test in results.get("tests", []):
        assert set(test) <= TEST_KEYS, set(test) - TEST_KEYS
        assert isinstance(test.get("score", 0), (int, float)) and isinstance(test.get("max_score", 0), (int, float))
        assert test.get("status", "passed") in {"passed", "failed"}
        assert test.get("visibility", "visible") in VISIBILITIES


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bundle")
    course = tmp / "course.toml"
    course.write_text('name = "t"\n[[homework]]\nid = 1\ntitle = "engine"\nregions = ['
                      + ", ".join(f'"{r}"' for r in ENGINE_AND_ARITHMETIC) + ']\npairs = ["add", "sub"]\n')
    zip_path = tmp / "autograder.zip"
    names = build_bundle(str(course), 1, str(zip_path))
    assert {"setup.sh", "run_autograder", "run_autograder.py", "hw1.toml", "constraints.txt"} <= set(names)
    assert not any(n.startswith("tiny/") for n in names)
    return zip_path


def run_autograder(bundle, tmp_path, make_submission) -> dict:
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    for name in ("run_autograder", "setup.sh"):
        os.chmod(root / "source" / name, 0o755)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")  # as Gradescope does
    make_submission(root / "submission")
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable,
           "AUTOGRADER_WORKERS": "0"}
    env.pop("PYTHONPATH", None)
    proc = subprocess.run([str(root / "run_autograder")], env=env, capture_output=True, text=True, timeout=600,
                          cwd=str(tmp_path))
    results_path = root / "results" / "results.json"
    assert results_path.exists(), proc.stdout + proc.stderr
    results = json.loads(results_path.read_text())
    validate(results)
    return results


def good(folder):
    solution_package(str(folder / "tiny"), [r.id for r in find_regions()
                                            if r.id.split(".")[0] in ENGINE_AND_ARITHMETIC])


def buggy(folder):
    good(folder)
    path = folder / "tiny" / "ops" / "arithmetic.py"
    path.write_text(path.read_text().replace("return grad, -grad", "return grad, grad", 1))


def not_importing(folder):
    good(folder)
    path = folder / "tiny" / "ops" / "arithmetic.py"
    path.write_text(path.read_text().replace("class Sub(Function):", "class Sub(Function)", 1))


def test_setup_sh_pins_its_installs_and_installs_bubblewrap(bundle):
    with zipfile.ZipFile(bundle) as archive:
        setup = archive.read("setup.sh").decode()
        assert archive.getinfo("run_autograder").external_attr >> 16 & 0o111
    assert "apt-get install -y -q bubblewrap" in setup and "-c constraints.txt" in setup
    assert subprocess.run(["bash", "-n", "-c", setup]).returncode == 0


def test_a_good_submission_gets_full_marks(bundle, tmp_path):
    results = run_autograder(bundle, tmp_path, good)
    assert results["score"] == 2


def test_a_buggy_submission_loses_the_buggy_pair(bundle, tmp_path):
    results = run_autograder(bundle, tmp_path, buggy)
    assert results["score"] == 1
    assert "sub" in json.dumps(results["tests"])


def test_a_submission_that_does_not_import_scores_zero_with_the_error(bundle, tmp_path):
    results = run_autograder(bundle, tmp_path, not_importing)
    assert results["score"] == 0
    assert "SyntaxError" in results["output"] and "arithmetic.py" in results["output"]


def test_an_empty_submission_scores_zero_with_a_message(bundle, tmp_path):
    results = run_autograder(bundle, tmp_path, lambda folder: folder.mkdir())
    assert results["score"] == 0 and "No `tiny` package" in results["output"]
