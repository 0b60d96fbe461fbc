"""Every test run records its results, so `dojo list` and reports need no re-run."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import jsonfile
from ..outcomes import FAILED, NOT_RUN, PASSED, SKIPPED, TestResult

DEFAULT_FILE = Path(".dojo") / "results.json"


class Recorder:
    """Folds setup/call/teardown reports into one TestResult per test and merges them into a JSON file.

    The file maps impl label → node id → TestResult (as JSON). A newer run of a test replaces its
    older result; other tests' results are kept. Listeners hear of each test once its teardown
    is done (dojo's child runs stream them).
    """

    def __init__(self, path: Path | None, impl_label: str) -> None:
        self.path = path
        self.impl_label = impl_label
        self.tests: dict[str, TestResult] = {}
        self.listeners: list[Callable[[TestResult], None]] = []

    def add(self, report: Any) -> None:
        props = dict(p for p in report.user_properties if p[0] != "evidence")
        result = self.tests.get(report.nodeid)
        if result is None:
            result = self.tests[report.nodeid] = TestResult(
                report.nodeid,
                outcome=NOT_RUN,  # passed only once its call passed: an interrupted test did not pass
                kata=props.get("kata"),
                level=props.get("level"),
                perf=bool(props.get("perf")),
                optional=bool(props.get("optional")),
            )
        result.duration_s = round(result.duration_s + getattr(report, "duration", 0.0), 4)
        for name, value in report.user_properties:
            if name == "evidence" and value not in result.evidence:
                result.evidence.append(value)
        if report.failed and result.outcome != FAILED:
            result.outcome = FAILED
            result.message = first_line(report)
        elif report.skipped and result.outcome in (NOT_RUN, PASSED):
            result.outcome = SKIPPED
            result.message = first_line(report)
        elif report.passed and report.when == "call" and result.outcome == NOT_RUN:
            result.outcome = PASSED
        if report.when == "teardown":
            result.when = time.time()
            for listener in self.listeners:
                listener(result)

    def write(self) -> None:
        if not self.tests or self.path is None:
            return
        merge(self.path, self.impl_label, self.tests.values())


def merge(path: Path, label: str, results: Any) -> None:
    """Add results to a results file, under a lock: concurrent runs lose no update."""
    now = time.time()
    with jsonfile.locked_update(path) as data:
        section = data.get(label)
        if not isinstance(section, dict):
            section = data[label] = {}
        for result in results:
            section[result.nodeid] = {**result.to_json(), "when": result.when or now}


def load(path: Path, label: str) -> dict[str, TestResult]:
    """The recorded results of one implementation ({} when there are none)."""
    data, _problem = jsonfile.read(path)
    section = data.get(label)
    if not isinstance(section, dict):
        return {}
    return {nodeid: TestResult.from_json(nodeid, entry) for nodeid, entry in section.items()}


def first_line(report: Any) -> str:
    """The teaching line of a failure: the assertion message or the error, not the traceback."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, "Skipped: reason")
        return str(longrepr[2]).removeprefix("Skipped: ")
    crash = getattr(getattr(longrepr, "reprcrash", None), "message", None)
    text = crash if crash else str(longrepr or "")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[0][:500] if lines else ""
