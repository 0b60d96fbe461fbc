"""Points per kata from its run: each level's share in proportion to the tests passed.

Each kata is worth `points` (default 10), shared between the levels it has in the ratio
3 : 3 : 2 : 2 (core, edges, concurrency, evidence). Only a passed test earns its part: a failed,
skipped, errored or missing test earns nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..catalog import Kata, tests_in
from ..outcomes import NOT_RUN, TestResult, teach
from ..runs.child import ChildRun

LEVEL_WEIGHTS = {1: 3, 2: 3, 3: 2, 4: 2}


@dataclass
class LevelScore:
    level: int
    passed: int
    total: int
    max_points: float
    failures: list[tuple[str, str]] = field(default_factory=list)  # (test, message)
    seconds: float = 0.0

    @property
    def points(self) -> float:
        return round(self.max_points * self.passed / self.total, 2) if self.total else 0.0


@dataclass
class KataScore:
    kata: Kata
    max_points: float
    levels: list[LevelScore] = field(default_factory=list)
    error: str = ""  # the kata could not be graded at all (its code does not load, the run was killed…)
    tests: list[TestResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def points(self) -> float:
        return round(sum(lv.points for lv in self.levels), 2)


def score_kata(kata: Kata, run: ChildRun, points: float) -> KataScore:
    """Points for one kata from its run."""
    declared = tests_in(kata.test_file)
    tests = []
    for result in run.of_kata(kata.folder).values():
        result.level = result.level or declared.get(result.function) or 1
        if result.counted:
            tests.append(result)
    score = KataScore(kata, points, tests=tests, seconds=run.seconds)
    if not tests:
        errors = run.errors_of(kata.folder)
        if run.timed_out:
            score.error = f"timed out: {kata.folder} was stopped after {run.seconds:.0f} s before any test ran"
        else:
            score.error = errors[0] if errors else (_tail(run.output) or "no test ran")
        return score
    levels = sorted({t.level for t in tests})
    weight = sum(LEVEL_WEIGHTS.get(lv, 1) for lv in levels)
    for lv in levels:
        mine = [t for t in tests if t.level == lv]
        level = LevelScore(lv, 0, len(mine), round(points * LEVEL_WEIGHTS.get(lv, 1) / weight, 2))
        for t in mine:
            level.seconds += t.duration_s
            if t.passed:
                level.passed += 1
            else:
                message = teach(t.message) or ("not run" if t.outcome == NOT_RUN else t.outcome)
                level.failures.append((t.nodeid.split("::")[-1], message))
        score.levels.append(level)
    return score


def _tail(output: str) -> str:
    lines = [ln.strip() for ln in output.splitlines() if ln.strip() and not ln.startswith(("=", "_"))]
    return lines[-1][:300] if lines else ""
