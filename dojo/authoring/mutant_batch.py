"""Run many mutants in one pytest session: each mutant against the tests it names, nothing else.

A fresh pytest per mutant pays for start-up, collection and module-scoped fixtures (kata 01 seeds
100,000 reviews) every time. Here one session collects the katas' test files once, then runs, for
each mutant in turn, the tests its docstring names with the mutant swapped in as the module under
test — the test file's global (`lock`), `sys.modules`, and the plugin's `kata_module`. Every test
gets its function-scoped fixtures afresh (an empty Redis database, its own PostgreSQL database), as
in any run; module-scoped fixtures live on across mutants, which is why they must never depend on
the module under test (tests/test_kata_tests.py checks it).

Parent side:  `write_batch(mutants, folder)` → `BATCH_ENV` file; run pytest on the katas' test
              files with `-p dojo.authoring.mutant_batch`; `read_outcomes(folder)`.
Child side:   this module as a pytest plugin (only active when `BATCH_ENV` is set).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from ..outcomes import function_of
from .mutants import Mutant

BATCH_ENV = "DOJO_MUTANT_BATCH"
JOBS = "jobs.json"
OUTCOMES = "outcomes.json"
SECONDS = "seconds.json"


# --- parent side --------------------------------------------------------------------------------


def write_batch(mutants: Iterable[Mutant], module_of: dict[str, str], folder: Path) -> dict[str, str]:
    """Copy each mutant to `folder/<kata>/<mutant>/<module>.py` and write the job list; returns the env to add."""
    jobs = []
    for m in mutants:
        module = module_of[m.kata]
        target = folder / m.kata / m.path.stem / f"{module}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(m.path.read_text())
        jobs.append({"name": m.name, "kata": m.kata, "module": module, "file": str(target), "tests": list(m.caught_by)})
    (folder / JOBS).write_text(json.dumps(jobs))
    return {BATCH_ENV: str(folder)}


def read_outcomes(folder: Path) -> dict[str, dict[str, str]]:
    """Mutant name → test function → outcome ("failed" if any of its cases or phases failed)."""
    path = folder / OUTCOMES
    return json.loads(path.read_text()) if path.exists() else {}


def read_seconds(folder: Path) -> dict[str, float]:
    """Mutant name → seconds its tests took in the batch (to find the slow ones)."""
    path = folder / SECONDS
    return json.loads(path.read_text()) if path.exists() else {}


# --- child side: the pytest plugin --------------------------------------------------------------


class _Batch:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.jobs: list[dict[str, Any]] = json.loads((folder / JOBS).read_text())
        self.outcomes: dict[str, dict[str, str]] = {}
        self.seconds: dict[str, float] = {}
        self.current: str | None = None

    def schedule(self, items: list[pytest.Item]) -> list[tuple[dict[str, Any], pytest.Item]]:
        """(job, item) pairs in run order: each job's named tests, in file order."""
        from ..harness.plugin import kata_of

        by_kata: dict[str, list[pytest.Item]] = {}
        for item in items:
            target = kata_of(Path(item.path), Path(item.config.rootpath))
            if target:
                by_kata.setdefault(target[0], []).append(item)
        plan = []
        for job in self.jobs:
            wanted = set(job["tests"])
            chosen = [i for i in by_kata.get(job["kata"], []) if function_of(i.nodeid) in wanted]
            self.outcomes[job["name"]] = {t: "not run" for t in job["tests"]}
            plan += [(job, item) for item in chosen]
        return plan

    def swap_in(self, job: dict[str, Any], items: list[pytest.Item]) -> None:
        """Make the job's mutant the module under test for every test file of its kata."""
        from ..harness import impl
        from ..harness.state import dojo_state

        module = impl.load(Path(job["file"]), job["module"])
        for item in items:
            if isinstance(item, pytest.Function) and hasattr(item.module, job["module"]):
                setattr(item.module, job["module"], module)
        if items:
            dojo_state(items[0].config).loaded[job["kata"]] = module

    def record(self, report: pytest.TestReport) -> None:
        if self.current is None:
            return
        tests = self.outcomes[self.current]
        name = function_of(report.nodeid)
        if name not in tests:
            return
        if report.failed:
            tests[name] = "failed"
        elif report.skipped and tests[name] != "failed":
            tests[name] = "skipped"
        elif report.when == "call" and tests[name] == "not run":
            tests[name] = "passed"

    def write(self) -> None:
        (self.folder / OUTCOMES).write_text(json.dumps(self.outcomes))
        (self.folder / SECONDS).write_text(json.dumps({k: round(v, 3) for k, v in self.seconds.items()}))


_batch: _Batch | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _batch
    folder = os.environ.get(BATCH_ENV)
    _batch = _Batch(Path(folder)) if folder else None


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    if _batch is None or session.config.option.collectonly:
        return None
    plan = _batch.schedule(session.items)
    try:
        for i, (job, item) in enumerate(plan):
            if job["name"] != _batch.current:
                _batch.current = job["name"]
                _batch.swap_in(job, session.items)
            nextitem = plan[i + 1][1] if i + 1 < len(plan) else None
            started = time.monotonic()
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=_keeping_module(item, nextitem, session.items))
            _batch.seconds[job["name"]] = _batch.seconds.get(job["name"], 0.0) + time.monotonic() - started
            if session.shouldstop:
                break
    finally:
        _batch.write()
    return True


def _keeping_module(item: pytest.Item, nextitem: pytest.Item | None, items: list[pytest.Item]) -> pytest.Item | None:
    """The `nextitem` to tear `item` down for: the next one to run, unless that is `item` itself.

    pytest tears down what `nextitem` does not need. The next test keeps module-scoped fixtures
    (seeded tables) alive across mutants; but when the next mutant runs the very same test, its
    function-scoped fixtures must still go, so another test of the same module stands in.
    """
    if nextitem is not item:
        return nextitem
    return next((other for other in items if other is not item and other.parent is item.parent), None) or next(
        (other for other in items if other is not item and other.module is item.module), None
    )


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if _batch is not None:
        _batch.record(report)
