"""`dojo next`: run the first unfinished kata and show only what matters."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.text import Text

from ..catalog import Kata
from ..runs.warm import warm
from . import progress, report
from .console import out
from .context import Context, add_impl
from .session import header, run_kata


def cmd_next(root: Path, katas: list[Kata], impl_spec: str) -> int:
    data, _problem = progress.read_results(root)
    rows = progress.all_progress(katas, data, progress.impl_label(impl_spec, root))
    console = out()
    if not any(k.available for k in katas):
        console.print("No kata is available yet: katas/catalog.toml lists them, but none has its folder.")
        return 0
    following = progress.first_unfinished(rows)
    if following is None:
        solved = sum(p.state == "solved" for p in rows)
        console.print(Text(f"All {solved} available katas are solved. `dojo bench` shows what they measure.", "ok"))
        return 0
    kata = following.kata
    console.print(header(kata, impl_spec))
    with warm(root, set(kata.services)) as w:
        run = run_kata(root, kata, impl_spec, w)
    console.print(report.summary(kata, run, root))
    tests = report.ordered_tests(kata, run)
    if tests and report.first_failure(tests) is None:
        console.print(Text.assemble("Run ", ("dojo next", "cmd"), " again for the next kata."))
    else:
        console.print(
            Text.assemble(
                "Edit your code, then ", (f"dojo watch {kata.number}", "cmd"), " re-runs the tests on every save."
            )
        )
    return 0


HELP = "run the first unfinished kata: its first failing test, the lesson, the hint"


def add_arguments(p: argparse.ArgumentParser, _command: str) -> None:
    add_impl(p)


def main(ctx: Context) -> int:
    return cmd_next(ctx.root, ctx.katas, ctx.impl)
