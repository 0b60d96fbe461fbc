"""`dojo reset`: put back the untouched stub, from git, after asking (your version is kept in .dojo/)."""

from __future__ import annotations

import argparse
import ast
import difflib
import subprocess
import sys
import time
from pathlib import Path

from rich.text import Text

from .. import jsonfile
from ..catalog import Kata
from ..errors import DojoError
from ..harness.recorder import DEFAULT_FILE
from . import hints
from .console import out
from .context import Context

BACKUPS = Path(".dojo") / "backup"


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DojoError(f"Cannot run git to find the stub ({exc}).") from None
    if done.returncode != 0:
        raise DojoError(
            f"git could not find the stub: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else 'no output'}."
        )
    return done.stdout


def _stubbed(source: str) -> int:
    """How many functions of `source` still just raise NotImplementedError."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return -1
    count = 0
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for stmt in node.body:
                if isinstance(stmt, ast.Raise) and stmt.exc is not None:
                    exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
                    if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                        count += 1
                        break
    return count


def original_stub(root: Path, kata: Kata) -> str:
    """The newest committed version of the stub in which no function is filled in yet.

    Learners who commit their work move HEAD away from the stub; the most-stubbed version
    in the file's history is the one that was handed out.
    """
    rel = kata.rel(kata.stub)
    commits = _git(root, "log", "--format=%H", "--", rel).split()
    if not commits:
        raise DojoError(f"{rel} is not in git's history, so there is no stub to restore.")
    versions = []
    for commit in commits[:50]:
        try:
            versions.append(_git(root, "show", f"{commit}:{rel}"))
        except DojoError:
            continue  # the file was deleted in that commit
    if not versions:
        raise DojoError(f"No committed version of {rel} was found.")
    most = max(_stubbed(v) for v in versions)
    return next(v for v in versions if _stubbed(v) == most)


def cmd_reset(root: Path, kata: Kata, yes: bool, forget_hints: bool = False) -> int:
    console = out()
    stub = original_stub(root, kata)
    path = kata.stub
    current = path.read_text(encoding="utf-8") if path.exists() else None
    rel = kata.rel(path)
    if current == stub:
        console.print(f"{rel} is already the untouched stub; nothing to do.")
        _forget_progress(root, kata, forget_hints)
        return 0
    if current is not None and not yes:
        changed = sum(
            1
            for line in difflib.unified_diff(stub.splitlines(), current.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        )
        if not sys.stdin.isatty():
            raise DojoError(
                f"Not resetting: {rel} has your changes ({changed} lines differ from the stub); "
                f"run `dojo reset {kata.number} --yes` to discard them."
            )
        answer = console.input(f"{rel} has your changes ({changed} lines differ from the stub). Discard them? \\[y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            console.print("Nothing changed.")
            return 1
    backup = None
    if current is not None:
        backup = root / BACKUPS / f"{kata.folder}-{kata.module}-{time.strftime('%Y%m%d-%H%M%S')}.py"
        backup.parent.mkdir(parents=True, exist_ok=True)
        backup.write_text(current, encoding="utf-8")
    path.write_text(stub, encoding="utf-8")
    _forget_progress(root, kata, forget_hints)
    console.print(Text(f"Restored the untouched stub of {rel}.", "ok"))
    if backup is not None:
        console.print(Text(f"Your version is kept in {backup.relative_to(root)}.", "dim"))
    return 0


def _forget_progress(root: Path, kata: Kata, forget_hints: bool = False) -> None:
    """The kata starts over: its recorded results for your code go (and, if asked, its hint counter)."""
    if forget_hints:
        hints.forget(root, kata)
    path = root / DEFAULT_FILE
    if not path.exists():
        return
    with jsonfile.locked_update(path) as data:
        section = data.get("katas")
        if isinstance(section, dict):
            data["katas"] = {n: e for n, e in section.items() if not n.startswith(f"{kata.target}/")}


HELP = "put back the untouched stub (asks first; your version is kept in .dojo/backup/)"


def add_arguments(p: argparse.ArgumentParser, _command: str) -> None:
    p.add_argument("kata")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask before discarding your changes")
    p.add_argument("--hints", action="store_true", help="also forget which hints you have seen")


def main(ctx: Context) -> int:
    return cmd_reset(ctx.root, ctx.kata(ctx.args.kata), ctx.args.yes, ctx.args.hints)
