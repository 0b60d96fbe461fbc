"""Running one kata for the learner (used by `next`, `watch`, `compare`): warm servers, a spinner."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path

from rich.text import Text

from . import child
from .console import fancy, out
from .katas import Kata
from .warm import Warm

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
) -> child.ChildRun:
    """Run a kata's tests in a child pytest, on `warm`'s servers, with a spinner on a terminal."""
    spinner = (
        out().status(f"Running {kata.folder} on {impl_spec}…") if fancy() and not quiet else contextlib.nullcontext()
    )
    with spinner:
        run = child.run(
            root,
            [kata.target],
            impl=impl_spec,
            env=warm.env,
            record=record,
            extra=["-o", f"timeout={LEARNER_TIMEOUT_S}", *(extra or [])],
            cancel=cancel,
            quick_cancel=set(kata.services) <= set(warm.owned),
            on_event=on_event,
        )
    if run.cancelled or run.timed_out:
        warm.clean_after_stopped_run(run.pid)
    return run


def header(kata: Kata, impl_spec: str) -> Text:
    """`03 · Distributed lock (⭐⭐, 20 min, redis)` and where its lesson and code are."""
    from .console import sym

    stars = sym("star") * kata.difficulty
    text = Text.assemble(
        (f"{kata.number} · {kata.title}", "kata"), f"  ({stars}, ~{kata.minutes} min, {', '.join(kata.services)})"
    )
    code = kata.rel(kata.stub) if impl_spec == "katas" else f"{impl_spec} ({kata.module}.py)"
    text.append(f"\n  lesson: {kata.rel(kata.readme)}   your code: {code}", "dim")
    return text
