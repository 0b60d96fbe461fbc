"""`dojo hint`: the next of a kata's progressive hints."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markdown import Markdown
from rich.text import Text

from ..catalog import Kata
from ..errors import DojoError
from . import hints
from .console import fancy, out
from .context import Context


def _show(number: int, count: int, text: str) -> None:
    console = out()
    console.print(Text(f"Hint {number} of {count}", "bold"))
    if fancy():
        console.print(Markdown(text))
    else:
        console.print(text, markup=False, highlight=False)


def cmd_hint(root: Path, kata: Kata, number: int | None, show_all: bool) -> int:
    console = out()
    if show_all:
        every = hints.hints_of(kata)
        if not every:
            raise hints.no_hints(kata)
        seen = hints.shown(root, kata)
        if not seen:
            console.print(f"No hint of {kata.folder} shown yet: `dojo hint {kata.number}` shows the first.")
            return 0
        for i, text in enumerate(every[:seen], 1):
            _show(i, len(every), text)
        return 0
    seen_before = hints.shown(root, kata)
    shown, count, text = hints.take(root, kata, number)
    _show(shown, count, text)
    if number is None and seen_before >= count:
        console.print(
            Text("That was the last hint. `dojo compare " + kata.number + " --force` shows the reference.", "dim")
        )
    elif shown < count:
        console.print(Text(f"`dojo hint {kata.number}` again for hint {shown + 1}.", "dim"))
    return 0


HELP = "the next hint of a kata (without one: of the kata you are on, the one `dojo next` runs)"


def add_arguments(p: argparse.ArgumentParser, _command: str) -> None:
    p.add_argument("kata", nargs="?", help="the kata (default: the first unfinished one)")
    p.add_argument("number", nargs="?", type=int, help="show this hint (default: the next one)")
    p.add_argument("--all", action="store_true", help="show every hint seen so far")


def current_kata(ctx: Context) -> Kata:
    """The kata a learner is on: the first unfinished one, as `dojo next` picks it."""
    from .progress import all_progress, first_unfinished, read_results

    data, _problem = read_results(ctx.root)
    following = first_unfinished(all_progress(ctx.katas, data, "katas"))
    if following is None:
        raise DojoError("Every available kata is solved: name one, e.g. `dojo hint 03`.")
    return following.kata


def main(ctx: Context) -> int:
    kata = ctx.kata(ctx.args.kata) if ctx.args.kata else current_kata(ctx)
    return cmd_hint(ctx.root, kata, ctx.args.number, ctx.args.all)
