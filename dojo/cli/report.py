"""How a kata's run is shown: tests per level, the first failure and its lesson, the hint to ask for."""

from __future__ import annotations

from pathlib import Path

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.text import Text

from ..catalog import LEVEL_NAMES, Kata, tests_in
from ..outcomes import FAILED, NOT_RUN, TestResult, teach
from ..runs.child import ChildRun
from . import hints
from .console import sym


def ordered_tests(kata: Kata, run: ChildRun) -> list[TestResult]:
    """The kata's counted tests in run order, each with a level (from the test file when the run lost it)."""
    declared = tests_in(kata.test_file)
    out = []
    for result in run.of_kata(kata.folder).values():
        if result.level is None:
            result.level = declared.get(result.function)
        if result.counted:
            out.append(result)
    return out


def level_counts(tests: list[TestResult]) -> dict[int, tuple[int, int]]:
    counts: dict[int, list[int]] = {}
    for t in tests:
        cell = counts.setdefault(t.level or 1, [0, 0])
        cell[0] += t.passed
        cell[1] += 1
    return {lvl: (p, n) for lvl, (p, n) in sorted(counts.items())}


def first_failure(tests: list[TestResult]) -> TestResult | None:
    failing = [t for t in tests if t.outcome == FAILED] or [t for t in tests if not t.passed]
    return min(failing, key=lambda t: t.level or 1) if failing else None


def score_line(kata: Kata, tests: list[TestResult]) -> str:
    """The plain one-line summary, e.g. `03_lock: 5/24 passed`."""
    return f"{kata.folder}: {sum(t.passed for t in tests)}/{len(tests)} passed"


def summary(kata: Kata, run: ChildRun, root: Path, *, timing: bool = True) -> RenderableType:
    """The few lines that matter after a run of one kata."""
    tests = ordered_tests(kata, run)
    lines: list[RenderableType] = []
    errors = run.errors_of(kata.folder)
    if not tests:
        message = errors[0] if errors else _last_line(run.output) or "no tests ran"
        lines.append(Text.assemble((f"{sym('bad')} {kata.folder} could not run: ", "bad"), message))
        return Group(*lines)
    passed = sum(t.passed for t in tests)
    head = Text.assemble((score_line(kata, tests), "ok" if passed == len(tests) else "bold"))
    if timing:
        head.append(f"  ({run.seconds:.1f} s)", "dim")
    lines.append(head)
    levels = Text("  ")
    for lvl, (p, n) in level_counts(tests).items():
        style = "ok" if p == n else ("warn" if p else "bad")
        levels.append(f"L{lvl} {LEVEL_NAMES.get(lvl, '')} {p}/{n}", style)
        levels.append("   ")
    lines.append(levels)
    not_run = sum(t.outcome == NOT_RUN for t in tests)
    if not_run and not run.cancelled:
        lines.append(
            Text(f"  {not_run} tests did not run: pytest stopped early ({_last_line(run.output)[:120]}).", "warn")
        )
    failure = first_failure(tests)
    if failure is None:
        lines.append(Text(f"{sym('ok')} {kata.folder} solved: all {len(tests)} tests pass.", "ok"))
        return Group(*lines)
    lines.append(Text.assemble((f"{sym('bad')} ", "bad"), (failure.function, "bold"), f"  (level {failure.level})"))
    message = teach(failure.message) or f"{failure.outcome} (see `pytest {kata.target}` for the details)"
    lines.append(Padding(Text(message), (0, 0, 0, 2), expand=False))  # wrapped at words, every line indented
    lines.append(hint_line(kata, root))
    return Group(*lines)


def hint_line(kata: Kata, root: Path) -> Text:
    count = len(hints.hints_of(kata))
    if not count:
        return Text("  No hints for this kata; the lesson is in " + kata.rel(kata.readme), "dim")
    seen = hints.shown(root, kata)
    if seen >= count:
        return Text(f"  All {count} hints shown (`dojo hint {kata.number} --all`).", "dim")
    return Text.assemble(
        "  Hint available: ", (f"dojo hint {kata.number}", "cmd"), f" ({seen} of {count} shown)", style="dim"
    )


def _last_line(output: str) -> str:
    lines = [ln.strip() for ln in output.splitlines() if ln.strip() and not ln.startswith(("=", "_"))]
    return lines[-1] if lines else ""
