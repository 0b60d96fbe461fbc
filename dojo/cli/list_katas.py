"""`dojo list`: every kata with its state, the level reached, and the overall progress line."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.table import Table
from rich.text import Text

from ..catalog import Kata
from .console import err, out, sym
from .context import Context, add_impl
from .progress import age, all_progress, first_unfinished, impl_label, read_results


def show_list(root: Path, katas: list[Kata], impl_spec: str) -> int:
    """Every kata with its state, the level reached, and the overall progress line."""
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


HELP = "every kata with its state and the level reached (instant: reads recorded results)"


def add_arguments(p: argparse.ArgumentParser, _command: str) -> None:
    add_impl(p)


def main(ctx: Context) -> int:
    return show_list(ctx.root, ctx.katas, ctx.impl)
