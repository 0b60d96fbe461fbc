"""Running one kata's tests for a command (`next`, `watch`, `compare`, `bench`, `grade`): warm servers, a spinner."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path

from rich.text import Text

from ..catalog import Kata
from ..runs import child
from ..runs.warm import Warm
from ..services import process
from .console import fancy, out, sym

LEARNER_TIMEOUT_S = 10  # a hung test fails after this long in learners' runs (pyproject's 60 s is for CI)


def services_of(katas: list[Kata]) -> set[str]:
    return {s for k in katas for s in k.services}


def run_kata(
    root: Path,
    kata: Kata,
    impl_spec: str,
    warm: Warm,
    *,
    record: bool = True,
    extra: list[str] | None = None,
    cancel: threading.Event | None = None,
    quiet: bool = False,
    on_event: Callable[[dict], None] | None = None,
    test_timeout_s: float = LEARNER_TIMEOUT_S,
    timeout_s: float | None = None,
    targets: list[str] | None = None,
    label: str | None = None,
) -> child.ChildRun:
    """Run a kata's tests (or `targets` of it) in a child pytest, on `warm`'s servers, with a spinner
    on a terminal. A run stopped early (cancelled, or over `timeout_s`) has its leftovers cleaned."""
    what = label or f"Running {kata.folder} on {impl_spec}…"
    spinner = out().status(what) if fancy() and not quiet else contextlib.nullcontext()
    with spinner:
        run = child.run(
            root,
            targets or [kata.target],
            impl=impl_spec,
            env=warm.env,
            record=record,
            extra=["-o", f"timeout={test_timeout_s:g}", *(extra or [])],
            timeout_s=timeout_s,
            cancel=cancel,
            quick_cancel=set(kata.services) <= set(warm.owned),
            on_event=on_event,
        )
    if run.cancelled or run.timed_out:
        warm.clean_after_stopped_run(run.pid)
    # What the run's code spawned and abandoned (its test process may have been killed): end it.
    process.end_descendants(keep={server.proc.pid for server in warm.owned.values()})
    return run


def header(kata: Kata, impl_spec: str) -> Text:
    """`03 · Distributed lock (⭐⭐, 20 min, redis)` and where its lesson and code are."""
    stars = sym("star") * kata.difficulty
    text = Text.assemble(
        (f"{kata.number} · {kata.title}", "kata"), f"  ({stars}, ~{kata.minutes} min, {', '.join(kata.services)})"
    )
    code = kata.rel(kata.stub) if impl_spec == "katas" else f"{impl_spec} ({kata.module}.py)"
    text.append(f"\n  lesson: {kata.rel(kata.readme)}   your code: {code}", "dim")
    return text
