"""Progress per kata from the results every test run records (`dojo list`): no re-run, instant."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import jsonfile
from ..catalog import Kata, tests_in
from ..errors import UsageError
from ..harness import impl
from ..harness.recorder import DEFAULT_FILE
from ..outcomes import NOT_RUN, PASSED, TestResult, function_of


def impl_label(spec: str, root: Path) -> str:
    """How results.json names an implementation: "katas", "solutions", or the directory's absolute path."""
    if spec in ("katas", "solutions"):
        return spec
    try:
        return str(impl.impl_root(spec, root))
    except impl.ImplError as exc:
        raise UsageError(str(exc)) from None


def read_results(root: Path) -> tuple[dict, str | None]:
    """(recorded results, a sentence about a damaged file or None)."""
    data, problem = jsonfile.read(root / DEFAULT_FILE)
    if problem:
        problem += "; the next test run rewrites it."
    return data, problem


@dataclass
class CaseState:
    name: str
    level: int | None
    outcome: str = NOT_RUN  # passed / failed / skipped / not run
    message: str = ""
    when: float = 0.0
    optional: bool = False

    @property
    def counted(self) -> bool:
        return TestResult(self.name, self.outcome, optional=self.optional).counted


@dataclass
class KataProgress:
    kata: Kata
    tests: list[CaseState] = field(default_factory=list)

    @property
    def counted(self) -> list[CaseState]:
        return [t for t in self.tests if t.counted]

    @property
    def total(self) -> int:
        return len(self.counted)

    @property
    def done(self) -> int:
        return sum(t.outcome == PASSED for t in self.counted)

    @property
    def ran(self) -> int:
        return sum(t.outcome != NOT_RUN for t in self.tests)

    @property
    def state(self) -> str:
        if not self.kata.available:
            return "not available"
        if self.total and self.done == self.total:
            return "solved"
        return "in progress" if self.ran else "not started"

    def levels(self) -> dict[int, tuple[int, int]]:
        """Level → (tests passed, tests), levels in order; tests without a level count as level 1."""
        out: dict[int, list[int]] = {}
        for t in self.counted:
            cell = out.setdefault(t.level or 1, [0, 0])
            cell[0] += t.outcome == PASSED
            cell[1] += 1
        return {lvl: (d, n) for lvl, (d, n) in sorted(out.items())}

    @property
    def level_reached(self) -> int:
        """The highest level whose tests, and every lower level's, all pass (0 for none)."""
        reached = 0
        for lvl, (d, n) in self.levels().items():
            if d < n:
                break
            reached = lvl
        return reached

    @property
    def last_run(self) -> float | None:
        times = [t.when for t in self.tests if t.when]
        return max(times) if times else None

    def first_failure(self) -> CaseState | None:
        """The first test that did not pass (and ran), lowest level first, in file order."""
        failing = [t for t in self.counted if t.outcome not in (PASSED, NOT_RUN)]
        return min(failing, key=lambda t: t.level or 1) if failing else None


def kata_progress(kata: Kata, section: dict) -> KataProgress:
    """The state of each of `kata`'s tests from one impl's recorded results."""
    declared = tests_in(kata.test_file) if kata.available else {}
    recorded: dict[str, list[TestResult]] = {}
    for nodeid, entry in section.items():
        result = TestResult.from_json(nodeid, entry)
        if (result.kata or "") == kata.folder or nodeid.startswith(f"{kata.target}/"):
            recorded.setdefault(function_of(nodeid), []).append(result)
    names = dict(declared)
    if not names:  # the file did not parse: fall back to what was recorded
        names = {name: results[0].level for name, results in recorded.items()}
    tests = []
    for name, level in names.items():
        state = CaseState(name, level)
        results = recorded.get(name, [])
        if results:
            failed = [r for r in results if not r.passed]
            state.outcome = failed[0].outcome if failed else PASSED
            state.message = failed[0].message if failed else ""
            state.optional = any(r.optional for r in results)
            state.when = max(r.when for r in results)
        tests.append(state)
    return KataProgress(kata, tests)


def all_progress(katas: list[Kata], results: dict, label: str) -> list[KataProgress]:
    section = results.get(label, {})
    return [kata_progress(k, section if isinstance(section, dict) else {}) for k in katas]


def first_unfinished(progress: list[KataProgress]) -> KataProgress | None:
    """The first available kata, in catalog order, that is not solved."""
    return next((p for p in progress if p.kata.available and p.state != "solved"), None)


def age(when: float | None) -> str:
    """'3 min ago' for a timestamp."""
    if not when:
        return ""
    seconds = max(0, time.time() - when)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now"
