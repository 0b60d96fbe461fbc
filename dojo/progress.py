"""Progress per kata from the results every test run records (`dojo list`): no re-run, instant."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import impl, inventory
from .errors import UsageError
from .katas import Kata
from .results import DEFAULT_FILE

DONE = ("passed", "skipped")


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
    path = root / DEFAULT_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, None
    except OSError as exc:
        return {}, f"Cannot read {DEFAULT_FILE} ({exc.strerror}); progress is shown as not started."
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        return {}, (
            f"{DEFAULT_FILE} is damaged and was ignored; the next test run rewrites it "
            "(progress below starts from scratch)."
        )
    return data, None


@dataclass
class CaseState:
    name: str
    level: int | None
    outcome: str = "not run"  # passed / failed / skipped / not run
    message: str = ""
    when: float = 0.0


@dataclass
class KataProgress:
    kata: Kata
    tests: list[CaseState] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.tests)

    @property
    def done(self) -> int:
        return sum(t.outcome in DONE for t in self.tests)

    @property
    def ran(self) -> int:
        return sum(t.outcome != "not run" for t in self.tests)

    @property
    def state(self) -> str:
        if not self.kata.available:
            return "not available"
        if self.total and self.done == self.total:
            return "solved"
        return "in progress" if self.ran else "not started"

    def levels(self) -> dict[int, tuple[int, int]]:
        """Level → (tests done, tests), levels in order; tests without a level count as level 1."""
        out: dict[int, list[int]] = {}
        for t in self.tests:
            cell = out.setdefault(t.level or 1, [0, 0])
            cell[0] += t.outcome in DONE
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
        """The first failing test, lowest level first, in file order."""
        failing = [t for t in self.tests if t.outcome == "failed"]
        return min(failing, key=lambda t: t.level or 1) if failing else None


def kata_progress(kata: Kata, section: dict) -> KataProgress:
    """The state of each of `kata`'s tests from one impl's recorded results."""
    declared = inventory.tests_in(kata.test_file) if kata.available else {}
    prefix = f"{kata.target}/"
    recorded: dict[str, list[dict]] = {}
    for nodeid, entry in section.items():
        if isinstance(entry, dict) and (entry.get("kata") == kata.folder or nodeid.startswith(prefix)):
            recorded.setdefault(inventory.function_of(nodeid), []).append(entry)
    names = dict(declared)
    if not names:  # the file did not parse: fall back to what was recorded
        names = {name: entries[0].get("level") for name, entries in recorded.items()}
    tests = []
    for name, level in names.items():
        state = CaseState(name, level)
        entries = recorded.get(name, [])
        if entries:
            outcomes = [str(e.get("outcome", "failed")) for e in entries]
            failed = [e for e in entries if e.get("outcome") == "failed"]
            state.outcome = "failed" if failed else ("passed" if "passed" in outcomes else outcomes[0])
            state.message = str(failed[0].get("message", "")) if failed else ""
            state.when = max(float(e.get("when") or 0) for e in entries)
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


# --- `dojo list` ---------------------------------------------------------------------------------


def show_list(root: Path, katas: list[Kata], impl_spec: str) -> int:
    """Every kata with its state, the level reached, and the overall progress line."""
    from rich.table import Table
    from rich.text import Text

    from .console import err, out, sym

    data, problem = read_results(root)
    if problem:
        err().print(Text(problem, "warn"))
    label = impl_label(impl_spec, root)
    rows = all_progress(katas, data, label)
    where = {"katas": "your code in katas/", "solutions": "the reference in solutions/"}.get(label, label)
    table = Table(title=f"System Design Katas — {where}", title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("Kata", no_wrap=True)
    table.add_column("Title")
    for name in ("Level", "Tests", "Last run"):
        table.add_column(name, no_wrap=True)
    for p in rows:
        state = p.state
        if state == "solved":
            tests = Text(f"{sym('ok')} solved", "ok")
        elif state == "in progress":
            tests = Text(f"{p.done} of {p.total} tests", "warn")
        else:
            tests = Text(state, "dim")
        level = f"L{p.level_reached}" if p.level_reached else ("—" if p.kata.available else "")
        table.add_row(p.kata.folder, p.kata.title, level, tests, age(p.last_run))
    console = out()
    console.print(table)
    solved = sum(p.state == "solved" for p in rows)
    percent = round(100 * solved / len(rows)) if rows else 0
    line = Text(f"{solved}/{len(rows)} katas, {percent}%", "bold")
    unavailable = sum(not p.kata.available for p in rows)
    if unavailable:
        line.append(f" ({unavailable} not available yet)", "dim")
    following = first_unfinished(rows)
    if following is not None and label == "katas":
        line.append("  next: ")
        line.append("dojo next", "cmd")
        line.append(f" ({following.kata.folder})")
    console.print(line)
    if not any(p.ran for p in rows):
        console.print(
            Text(
                "No test runs recorded yet for this code: start with `dojo next` (or `pytest katas/<kata>`).",
                "dim",
            )
        )
    return 0
