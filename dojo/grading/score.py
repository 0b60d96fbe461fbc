"""Points per kata from its run: each level's share in proportion to the tests passed.

Each kata is worth `points`, shared between the levels its test file declares in the ratio
3 : 3 : 2 : 2 (core, edges, concurrency, evidence), rounded to quarter points so that every sum
of maxima is exact. The tests that count are the ones the test file declares
(`catalog.tests_in`), not the ones a run happened to collect: a deselected, removed or never-run
test is a failed test. Only "passed" earns its part — skipped, xfailed, errored, not run and
missing tests earn nothing, and so does an `optional` test that skipped (in a grade, install its
tool). A test parametrized into several cases passes only if every case passed.

A level earns (tests passed / tests) × its maximum, rounded to cents as JavaScript's toFixed(2)
rounds: the figure GitHub Classroom's reporter prints for the same level (see reporter.py).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from ..catalog import Kata, tests_in
from ..outcomes import FAILED, NOT_RUN, PASSED, SKIPPED, TestResult, teach
from ..runs.child import ChildRun

LEVEL_WEIGHTS = {1: 3, 2: 3, 3: 2, 4: 2}
MISSING = "missing"
QUARTERS = 4  # maxima are whole quarter points: sums of them are exact in binary floating point


def to_cents(x: float) -> int:
    """`x` in whole cents, halves rounded up, from its exact binary value (JavaScript's toFixed(2))."""
    return int(Decimal(x).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100)


def format_points(x: float) -> str:
    """8.6 → '8.6', 10.0 → '10', 2.25 → '2.25': at most two decimals, never float noise."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def valid_points(points: float) -> bool:
    """Points per kata must be at least 1 and whole quarters (10, 7.5, 20.25)."""
    return points >= 1 and float(points * QUARTERS).is_integer()


def level_maxima(levels: list[int], points: float) -> dict[int, float]:
    """Each level's maximum: `points` shared by LEVEL_WEIGHTS, in quarter points that sum to `points`.

    Largest remainders decide where the last quarters go (10 points over four levels: 3, 3, 2, 2).
    """
    units = round(points * QUARTERS)
    weights = {lv: LEVEL_WEIGHTS.get(lv, 1) for lv in levels}
    whole = sum(weights.values())
    exact = {lv: units * w / whole for lv, w in weights.items()}
    given = {lv: int(share) for lv, share in exact.items()}
    by_remainder = sorted(levels, key=lambda lv: (-(exact[lv] - given[lv]), lv))
    for lv in by_remainder[: units - sum(given.values())]:
        given[lv] += 1
    return {lv: given[lv] / QUARTERS for lv in levels}


@dataclass
class TestScore:
    """One declared test function and how it did (all of its parametrized cases folded into one)."""

    __test__ = False  # not a pytest test class

    name: str
    level: int
    outcome: str = MISSING  # passed / failed / skipped / not run / missing
    message: str = ""
    duration_s: float = 0.0
    nodeid: str = ""
    line: int = 0

    @property
    def passed(self) -> bool:
        return self.outcome == PASSED


@dataclass
class LevelScore:
    level: int
    max_points: float
    tests: list[TestScore] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(t.passed for t in self.tests)

    @property
    def total(self) -> int:
        return len(self.tests)

    @property
    def cents(self) -> int:
        """The level's points in cents, computed as the reporter computes them: passed / total × max."""
        return to_cents(self.passed / self.total * self.max_points) if self.total else 0

    @property
    def points(self) -> float:
        return self.cents / 100

    @property
    def failures(self) -> list[TestScore]:
        return [t for t in self.tests if not t.passed]

    @property
    def seconds(self) -> float:
        return sum(t.duration_s for t in self.tests)


@dataclass
class KataScore:
    kata: Kata
    max_points: float
    levels: list[LevelScore] = field(default_factory=list)
    error: str = ""  # no test ran at all (its code does not load, the run was stopped…)
    seconds: float = 0.0

    @property
    def cents(self) -> int:
        return sum(lv.cents for lv in self.levels)

    @property
    def points(self) -> float:
        return self.cents / 100

    @property
    def tests(self) -> list[TestScore]:
        return [t for lv in self.levels for t in lv.tests]


def total_points(scores: list[KataScore]) -> tuple[float, float]:
    """(points earned, points possible) over every kata, exact to the cent."""
    return sum(ks.cents for ks in scores) / 100, sum(ks.max_points for ks in scores)


def score_kata(kata: Kata, run: ChildRun, points: float) -> KataScore:
    """Points for one kata from its run, counting every test its test file declares."""
    declared = {name: level or 1 for name, level in tests_in(kata.test_file).items()}
    lines = _lines(kata.test_file)
    ran: dict[str, list[TestResult]] = {}
    for result in run.of_kata(kata.folder).values():
        ran.setdefault(result.function, []).append(result)
    if not declared:  # no readable test file: count what ran
        declared = {name: results[0].level or 1 for name, results in ran.items()}
    score = KataScore(kata, points, seconds=run.seconds)
    if not any(r.outcome != NOT_RUN for results in ran.values() for r in results):
        score.error = _why_nothing_ran(kata, run)
    not_run = (
        f"not run: the kata was stopped after {run.seconds:.0f} s" if run.timed_out else "not run: the run ended early"
    )
    maxima = level_maxima(sorted(set(declared.values())), points)
    by_level = {lv: LevelScore(lv, maxima[lv]) for lv in sorted(maxima)}
    for name, level in declared.items():
        test = _fold(name, level, ran.get(name, []), not_run, score.error)
        test.line = lines.get(name, 0)
        test.nodeid = test.nodeid or f"{kata.rel(kata.test_file)}::{name}"
        by_level[level].tests.append(test)
    score.levels = list(by_level.values())
    return score


def _fold(name: str, level: int, results: list[TestResult], not_run: str, kata_error: str) -> TestScore:
    """One declared test from its cases' results: passed only if it ran and every case passed."""
    test = TestScore(name, level)
    if not results:
        test.message = f"not run: {kata_error}" if kata_error else "missing: the test was not collected or not run"
        return test
    test.nodeid = results[0].nodeid
    test.duration_s = round(sum(r.duration_s for r in results), 4)
    bad = next((r for r in results if not r.passed), None)
    if bad is None:
        test.outcome = PASSED
        return test
    test.outcome = bad.outcome if bad.outcome in (FAILED, SKIPPED, NOT_RUN) else FAILED
    message = teach(bad.message)
    if bad.outcome == SKIPPED:
        message = f"skipped, which earns no point: {message}" if message else "skipped, which earns no point"
    elif bad.outcome == NOT_RUN:
        message = f"not run: {kata_error}" if kata_error else not_run
    test.message = message or bad.outcome
    return test


def _why_nothing_ran(kata: Kata, run: ChildRun) -> str:
    if run.timed_out:
        return f"timed out: {kata.folder} was stopped after {run.seconds:.0f} s before any test ran"
    errors = run.errors_of(kata.folder)
    return errors[0] if errors else (_tail(run.output) or "no test ran")


def _lines(path: Path) -> dict[str, int]:
    """Test function name → line of its `def`, for the reports."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return {}
    return {
        node.name: node.lineno
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test")
    }


def _tail(output: str) -> str:
    lines = [ln.strip() for ln in output.splitlines() if ln.strip() and not ln.startswith(("=", "_"))]
    return lines[-1][:300] if lines else ""
