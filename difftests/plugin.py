"""pytest plugin the runner installs: collects each difftest's summary (also from xdist workers) and
prints progress (units done / total per area) on stderr."""
from __future__ import annotations

import json
import re
import sys
import time

import pytest

PAIR_ID = re.compile(r"::test_(?:edge_cases|property)\[(?P<pair>.+)-(?:float64|float32)\]$")


class Collector:
    def __init__(self, progress: bool = False, stream=None) -> None:
        self.summaries: list[dict] = []
        self.other: list[dict] = []        # tests without a pair summary (engine tests, ...)
        self.errors: list[str] = []
        self.progress = progress
        self.stream = stream or sys.stderr
        self.total: dict[str, int] = {}
        self.done: dict[str, int] = {}
        self._last_print = 0.0

    # ----- results --------------------------------------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            if "difftest" in props:
                summary = json.loads(props["difftest"])
                self.summaries.append(summary)
                self._tick(summary["area"])
            elif report.when == "setup" and report.failed:
                self.errors.append(f"{report.nodeid}: setup failed: {report.longreprtext.splitlines()[-1:]}")
            else:
                area = next((k[len("area_"):] for k in report.keywords if k.startswith("area_")), "other")
                message = failure_message(report) if report.failed else ""
                self.other.append({"test": report.nodeid.split("::")[-1], "area": area,
                                   "status": "passed" if report.passed else
                                   ("not_implemented" if message.startswith("NOT IMPLEMENTED") else
                                    "not_run" if report.skipped else "failed"),
                                   "message": message})
                self._tick(area)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.errors.append(f"collection failed: {report.nodeid}: {_last_line(report.longreprtext)}")

    # ----- progress -------------------------------------------------------------------------
    def pytest_collection_finish(self, session: pytest.Session) -> None:  # without xdist (after deselection)
        if not self.total:
            self._count(item.nodeid for item in session.items)

    @pytest.hookimpl(optionalhook=True)  # xdist's hook: the runner loads xdist only for a worker pool
    def pytest_xdist_node_collection_finished(self, node, ids: list) -> None:  # with xdist (every node: same ids)
        if not self.total:
            self._count(ids)

    def _count(self, nodeids) -> None:
        from difftests.profile import behaviour_tests
        from difftests.registry import get
        tests = behaviour_tests()
        for nodeid in nodeids:
            match = PAIR_ID.search(nodeid)
            try:
                area = get(match["pair"]).area if match else tests.get(nodeid.split("::")[-1].split("[")[0], "other")
            except KeyError:
                area = "other"
            self.total[area] = self.total.get(area, 0) + 1

    def _tick(self, area: str) -> None:
        self.done[area] = self.done.get(area, 0) + 1
        if not self.progress:
            return
        now = time.monotonic()
        finished = self.done[area] == self.total.get(area)
        if finished or now - self._last_print > 5:
            self._last_print = now
            parts = [f"{a} {self.done.get(a, 0)}/{n}" for a, n in self.total.items() if n]
            print("progress: " + ", ".join(parts), file=self.stream, flush=True)


def failure_message(report: pytest.TestReport) -> str:
    """The assertion's own message (e.g. "loss curves diverge by 0.73 at step 4"), not `file:56: AssertionError`."""
    crash = getattr(report.longrepr, "reprcrash", None)
    message = getattr(crash, "message", "") if crash is not None else ""
    if not message:
        return _last_line(report.longreprtext)
    for prefix in ("Failed: ", "AssertionError: "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    lines = [line for line in message.splitlines() if line.strip()]
    text = " | ".join(line.strip() for line in lines[:4]) if lines else "assertion failed"
    return text[:500]


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip()[:300] if lines else ""
