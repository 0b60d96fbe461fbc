"""Loaded (`-p dojo.harness.childlog`) into the pytest runs that `dojo` starts: results as they happen.

Writes one JSON object per line to the file named by DOJO_CHILD_LOG: the collected tests in
order, collection errors (a learner's syntax error), each test's start (and its wall-clock time),
and each test's result (a TestResult) once its teardown is done. `dojo` reads it to show a test
the moment it turns green, and to know which test was running, since when, when it had to stop
a hung run.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest

from ..outcomes import TestResult
from .recorder import first_line
from .state import dojo_state

_path = os.environ.get("DOJO_CHILD_LOG")


def emit(event: dict[str, Any]) -> None:
    if not _path:
        return
    with open(_path, "a", encoding="utf-8") as f:
        f.write(json.dumps(event) + "\n")


def _result(result: TestResult) -> None:
    emit({"result": result.nodeid, **result.to_json()})


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    recorder = dojo_state(config).recorder
    if recorder is not None:
        recorder.listeners.append(_result)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        emit({"error": report.nodeid, "message": first_line(report)})


def pytest_collection_finish(session: pytest.Session) -> None:
    emit({"collected": [item.nodeid for item in session.items]})


def pytest_runtest_logstart(nodeid: str) -> None:
    emit({"start": nodeid, "at": time.time()})
