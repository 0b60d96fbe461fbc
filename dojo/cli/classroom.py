"""`dojo classroom DIR`: write a ready student repository (a Classroom template) with no reference code."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.text import Text

from ..catalog import Kata
from ..errors import UsageError
from ..grading.score import format_points, valid_points
from ..grading.template import export
from ..grading.workflow import REF, REPO, TOKEN_SECRET
from .console import out
from .context import Context


def cmd_classroom(
    root: Path, katas: list[Kata], dest: Path, repo: str, ref: str, points: float, timeout_s: float
) -> int:
    if not katas:
        raise UsageError("No kata is available to export (katas/catalog.toml lists none whose folder exists).")
    written = export(root, katas, dest, repo, ref, points, timeout_s)
    console = out()
    names = ", ".join(k.folder for k in katas)
    console.print(
        Text(f"Wrote a student repository to {dest}: {len(written)} files, {len(katas)} katas ({names}).", "ok")
    )
    console.print(
        f"No reference code: solutions/, tests/ (mutants, alternatives) and dojo/authoring/ are left out. "
        f"Graded: {format_points(points)} points per kata, with the tests of {repo} at {ref}."
    )
    console.print("Next:")
    steps = [
        f"cd {dest} && git init -b main && git add -A && git commit -m 'System Design Katas'",
        f"git remote add origin https://github.com/{repo}.git && git push -u origin main",
        f"git tag {ref} && git push origin {ref}   # the pinned ref the grade's tests come from",
        "on GitHub: Settings → Template repository; then create the Classroom assignment from it",
        f"private template: an organization secret {TOKEN_SECRET} holding a read-only token for {repo}",
    ]
    for i, step in enumerate(steps, 1):
        console.print(f"  {i}. {step}", markup=False, highlight=False)
    return 0


HELP = "write a student repository (Classroom template): stubs, lessons, tests, grading workflow; no reference code"


def add_arguments(p: argparse.ArgumentParser, _command: str) -> None:
    p.add_argument("dir", type=Path, metavar="DIR", help="a new (or empty) folder")
    p.add_argument("katas", nargs="*", metavar="KATA", help="default: every available kata")
    p.add_argument(
        "--template-repo",
        metavar="OWNER/NAME",
        help="the GitHub repository DIR will be pushed to: the grade takes its tests from there",
    )
    p.add_argument(
        "--template-ref", default="grading", metavar="REF", help="the tag (or commit) the grade's tests come from"
    )
    p.add_argument("--points", type=float, default=10, help="points per kata (default 10, whole quarters)")
    p.add_argument("--timeout", type=float, default=20, help="seconds a test may run when graded (default 20)")


def main(ctx: Context) -> int:
    args = ctx.args
    repo = args.template_repo
    if not repo:
        raise UsageError(
            "Give --template-repo OWNER/NAME, the repository this template will be pushed to: "
            "the grade checks it out at --template-ref for its tests."
        )
    if not REPO.match(repo):
        raise UsageError(f"--template-repo {repo}: use OWNER/NAME, as in github.com/OWNER/NAME.")
    if not REF.match(args.template_ref):
        raise UsageError(f"--template-ref {args.template_ref}: use a tag, branch or commit name.")
    if not valid_points(args.points):
        raise UsageError(f"--points must be at least 1 and whole quarters (10, 7.5, 12.25), not {args.points:g}.")
    if not args.timeout > 0:
        raise UsageError(f"--timeout must be a positive number, not {args.timeout:g}.")
    return cmd_classroom(ctx.root, ctx.chosen(args.katas), args.dir, repo, args.template_ref, args.points, args.timeout)
