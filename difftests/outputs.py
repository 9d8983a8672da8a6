"""The run's output files (--json, --gradescope, --junit): only the trusted runner writes them, only
with what it measured, and all at the very end.

- At start every output path is removed, so a stale or forged file cannot survive a crash of the run.
- Each output is written to a temp file beside it and renamed into place (atomic) after everything else.
- An abnormal end — pytest interrupted or crashed, a worker/collection error, TAMPERING, an exception
  while rendering, SIGINT/SIGTERM/SIGHUP to the runner — marks every output incomplete: the JSON report
  says `"complete": false` with the reasons, Gradescope scores 0 with an "incomplete" test, JUnit gets a
  failing testcase, and the exit status is INCOMPLETE.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import xml.etree.ElementTree as ET
from typing import Any

from difftests.wire import clean_text

INCOMPLETE = 3   # exit status of a run whose result cannot be trusted or is partial


def clean(obj: Any) -> Any:
    """A report with every string made safe (no control characters, ANSI escapes or lone surrogates)."""
    if isinstance(obj, str):
        return clean_text(obj, limit=20_000, one_line=False)
    if isinstance(obj, dict):
        return {clean(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    return obj


class Outputs:
    """The output files of one run; `finish` writes them all at the end."""

    def __init__(self, json_path: str | None = None, gradescope_path: str | None = None,
                 junit_path: str | None = None) -> None:
        self.paths = {"json": json_path, "gradescope": gradescope_path, "junit": junit_path}
        self.reasons: list[str] = []
        self.failures: list[str] = []      # complete but failing outright (the implementation cannot load)
        self.signal: str | None = None
        self.private = tempfile.mkdtemp(prefix="difftests-outputs-")  # 0700: pytest's JUnit goes here first
        self.junit_temp = os.path.join(self.private, "junit.xml")
        for path in filter(None, self.paths.values()):
            if os.path.isdir(path) and not os.path.islink(path):
                raise IsADirectoryError(f"output path {path} is a directory")
            if os.path.lexists(path):
                os.unlink(path)

    # ----- signals --------------------------------------------------------------------------
    def catch_signals(self) -> None:
        """SIGINT/SIGTERM/SIGHUP stop the run (pytest sees KeyboardInterrupt) and make it incomplete."""
        def handler(signum: int, frame: Any) -> None:
            self.signal = signal.Signals(signum).name
            raise KeyboardInterrupt(f"the runner received {self.signal}")
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, handler)

    def ignore_signals(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)

    def incomplete(self, reason: str) -> None:
        self.reasons.append(clean_text(reason, limit=2000))

    @property
    def complete(self) -> bool:
        return not self.reasons and self.signal is None

    def all_reasons(self) -> list[str]:
        return self.reasons + ([f"the runner received {self.signal}"] if self.signal else [])

    # ----- writing ----------------------------------------------------------------------------
    def finish(self, report: dict, gradescope: dict | None) -> None:
        """Mark the report, then write every requested output (temp file + rename)."""
        self.ignore_signals()
        try:
            if self.paths["json"]:
                self._replace(self.paths["json"], json.dumps(clean(report), indent=2))
            if self.paths["gradescope"] and gradescope is not None:
                self._replace(self.paths["gradescope"], json.dumps(clean(gradescope), indent=2))
            if self.paths["junit"]:
                self._replace(self.paths["junit"], self._junit())
        finally:
            shutil.rmtree(self.private, ignore_errors=True)

    def mark(self, report: dict) -> dict:
        """The report with its completion status; an incomplete report never says passed."""
        reasons = self.all_reasons()
        report = {**report, "complete": not reasons, "incomplete_reasons": reasons}
        if reasons:
            report["passed"] = False
            report["errors"] = list(report.get("errors", [])) + [f"INCOMPLETE: {r}" for r in reasons]
        return report

    @staticmethod
    def _replace(path: str, text: str) -> None:
        folder = os.path.dirname(os.path.abspath(path))
        fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temp, path)
        except BaseException:
            if os.path.exists(temp):
                os.unlink(temp)
            raise

    def _junit(self) -> str:
        """pytest's JUnit XML, plus a failing testcase when the run is incomplete."""
        try:
            tree = ET.parse(self.junit_temp)
            root = tree.getroot()
        except (OSError, ET.ParseError):
            root = ET.Element("testsuites")
            ET.SubElement(root, "testsuite", name="difftests", tests="0", failures="0", errors="0")
        suite = root if root.tag == "testsuite" else root.find("testsuite")
        if suite is None:
            suite = ET.SubElement(root, "testsuite", name="difftests", tests="0", failures="0")
        for name, lines, label in (("run_complete", self.all_reasons(), "INCOMPLETE: "),
                                   ("implementation_loads", self.failures, "")):
            if lines:
                case = ET.SubElement(suite, "testcase", classname="difftests", name=name)
                ET.SubElement(case, "failure", message=label + "; ".join(lines)).text = "\n".join(lines)
                suite.set("tests", str(int(suite.get("tests", "0")) + 1))
                suite.set("failures", str(int(suite.get("failures", "0")) + 1))
        return ET.tostring(root, encoding="unicode")
