"""Terminal output: rich when it is a terminal, plain text when piped or in a log."""

from __future__ import annotations

import os
import sys

from rich.console import Console
from rich.theme import Theme

THEME = Theme(
    {
        "ok": "bold green",
        "bad": "bold red",
        "warn": "yellow",
        "dim": "dim",
        "kata": "bold cyan",
        "cmd": "bold magenta",
    }
)

_out: Console | None = None
_err: Console | None = None


def _make(stderr: bool) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else int(os.environ.get("COLUMNS", "0") or 0) or 110
    return Console(theme=THEME, stderr=stderr, width=width, highlight=False)


def out() -> Console:
    """The console for results (stdout)."""
    global _out
    if _out is None:
        _out = _make(stderr=False)
    return _out


def err() -> Console:
    """The console for problems (stderr)."""
    global _err
    if _err is None:
        _err = _make(stderr=True)
    return _err


def fancy() -> bool:
    """True when stdout is a live terminal (spinners, screen clearing make sense)."""
    return out().is_terminal and not out().is_dumb_terminal


def sym(name: str) -> str:
    """A status symbol, or an ASCII stand-in where the output cannot encode it."""
    symbols = {"ok": ("✓", "ok"), "bad": ("✗", "x"), "skip": ("–", "-"), "arrow": ("→", "->"), "star": ("⭐", "*")}
    fancy_sym, plain = symbols[name]
    encoding = (getattr(sys.stdout, "encoding", None) or "ascii").lower()
    try:
        fancy_sym.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return plain
    return fancy_sym
