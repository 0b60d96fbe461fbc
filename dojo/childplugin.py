"""Loaded (`-p dojo.childplugin`) into the pytest runs that `dojo` starts: reports as they happen.

Writes one JSON object per line to the file named by DOJO_CHILD_LOG: the collected tests in
order, collection errors (a learner's syntax error), each test's start and outcome. `dojo`
reads it to order failures, to show collection errors, and to know which test was running
when it had to stop a hung run.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from .results import first_line

_path = os.environ.get("DOJO_CHILD_LOG")


def _emit(event: dict[str, Any]) -> None:
    if not _path:
        return
    with open(_path, "a", encoding="utf-8") as f:
        f.write(json.dumps(event) + "\n")


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _emit({"error": report.nodeid, "message": first_line(report)})


def pytest_collection_finish(session: pytest.Session) -> None:
    _emit({"collected": [item.nodeid for item in session.items]})


def pytest_runtest_logstart(nodeid: str) -> None:
    _emit({"start": nodeid})


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    message = first_line(report) if report.failed else ""
    _emit({"report": report.nodeid, "when": report.when, "outcome": report.outcome, "message": message})
