"""Fixtures of the difftest suite: recording per-test summaries for the runner's report."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, settings

# Deterministic: the same seed gives the same cases and the same report on every run.
settings.register_profile(
    "difftests", derandomize=True, database=None, deadline=None, print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
settings.load_profile("difftests")


def pytest_configure(config: pytest.Config) -> None:
    from difftests.registry import AREAS

    for area in AREAS:  # `python -m difftests --area X` selects tests by these markers
        config.addinivalue_line("markers", f"area_{area}: difftests of the {area} area")


@pytest.fixture
def record(request: pytest.FixtureRequest):
    """record(summary_dict): attach a summary to this test's report (read by difftests.plugin)."""
    def _record(summary: dict) -> None:
        request.node.user_properties.append(("difftest", json.dumps(summary)))
    return _record
