"""Fixtures of the difftest suite: recording per-test summaries for the runner's report."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, settings

# Deterministic: the same seed gives the same cases and the same report on every run (`--seed S`
# draws the property inputs from seed S instead; named edge cases never change).
settings.register_profile(
    "difftests", derandomize=True, database=None, deadline=None, print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
settings.load_profile("difftests")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--course-profile", default=None,
                     help="a course profile (TOML, see difftests/profile.py): areas, pairs, dtypes, features")
    parser.addoption("--difftests-seed", default=None,
                     help="hypothesis seed of the property tests: an integer, or 'fixed' (derandomized, the default)")


def _profile(config: pytest.Config):
    from difftests.profile import DEFAULT, load_profile
    path = config.getoption("--course-profile", None)
    return load_profile(path) if path else DEFAULT


def _run_seed(config: pytest.Config) -> int | None:
    value = config.getoption("--difftests-seed", None)
    return None if value in (None, "fixed") else int(value)


def pytest_configure(config: pytest.Config) -> None:
    from difftests.integrity import snapshot
    from difftests.registry import AREAS

    for area in AREAS:  # `python -m difftests --area X` selects tests by these markers
        config.addinivalue_line("markers", f"area_{area}: difftests of the {area} area")
    config._trusted_files = snapshot()


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    """--pair NAME: keep only the generic tests of the named pairs; a course profile keeps its areas,
    pairs (or behaviour tests) and dtypes."""
    wanted = config.getoption("--pair")
    profile = _profile(config)
    keep, drop = [], []
    for item in items:
        params = item.callspec.params if hasattr(item, "callspec") else {}
        pair = params.get("pair")
        area = next((m.name[len("area_"):] for m in item.iter_markers() if m.name.startswith("area_")), "other")
        unit = pair.name if pair is not None else getattr(item, "originalname", item.name)
        selected = profile.selects(area, unit, params.get("dtype") if pair is not None else None)
        if wanted:
            selected = selected and pair is not None and pair.name in wanted
        (keep if selected else drop).append(item)
    if not drop:
        return
    config.hook.pytest_deselected(items=drop)
    items[:] = keep


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the session when the reference or the harness changed on disk while it ran."""
    from difftests.integrity import changed_files

    before = getattr(session.config, "_trusted_files", None)
    tampered = changed_files(before) if before is not None else []
    if tampered:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(f"\nTAMPERING: trusted files changed during the run: {tampered}")


@pytest.fixture(scope="session")
def course_profile(request: pytest.FixtureRequest):
    """The course profile of this run (difftests/profile.py); the default selects everything."""
    return _profile(request.config)


@pytest.fixture(scope="session")
def run_seed(request: pytest.FixtureRequest) -> int | None:
    """None: the fixed (derandomized) property inputs; an int: inputs drawn from that seed."""
    return _run_seed(request.config)


@pytest.fixture
def record(request: pytest.FixtureRequest):
    """record(summary_dict): attach a summary to this test's report (read by difftests.plugin)."""
    def _record(summary: dict) -> None:
        request.node.user_properties.append(("difftest", json.dumps(summary)))
    return _record


@pytest.fixture
def observe(executor, request: pytest.FixtureRequest):
    """observe(name, **inputs): run a scenario where the implementation runs; fail clearly when it
    is not implemented, crashed, or raised outside what the scenario observes."""
    area = next((m.name[len("area_"):] for m in request.node.iter_markers() if m.name.startswith("area_")),
                "other")

    def _observe(name: str, /, **kwargs):
        observations = executor.run_scenario(name, area=area, **kwargs)
        if "__not_implemented__" in observations:
            pytest.fail(f"NOT IMPLEMENTED: {observations['__not_implemented__']}", pytrace=False)
        if "__failure__" in observations:
            pytest.fail(f"the implementation crashed or hung: {observations['__failure__']}", pytrace=False)
        if "__raised__" in observations:
            pytest.fail(f"the implementation raised {observations['__raised__'][1]}", pytrace=False)
        return observations
    return _observe
