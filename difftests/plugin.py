"""pytest plugin the runner installs: collects each difftest's summary (also from xdist workers)."""
from __future__ import annotations

import json

import pytest


class Collector:
    def __init__(self) -> None:
        self.summaries: list[dict] = []
        self.other: list[dict] = []        # tests without a pair summary (engine tests, ...)
        self.errors: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            if "difftest" in props:
                self.summaries.append(json.loads(props["difftest"]))
            elif report.when == "setup" and report.failed:
                self.errors.append(f"{report.nodeid}: setup failed: {report.longreprtext.splitlines()[-1:]}")
            else:
                area = next((k[len("area_"):] for k in report.keywords if k.startswith("area_")), "other")
                self.other.append({"test": report.nodeid.split("::")[-1], "area": area,
                                   "status": "passed" if report.passed else
                                   ("not_implemented" if "NOT IMPLEMENTED" in report.longreprtext else
                                    "not_run" if report.skipped else "failed"),
                                   "message": _last_line(report.longreprtext) if report.failed else ""})

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.errors.append(f"collection failed: {report.nodeid}: {_last_line(report.longreprtext)}")


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip()[:300] if lines else ""
