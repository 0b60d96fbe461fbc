"""`dojo grade`: points per kata by level, a total, and the grade for Classroom, JUnit and Markdown.

Every kata runs in its own child pytest with a per-test timeout and a deadline for the whole
kata, so hung code costs points but never hangs the grade. The tests, conftest files and pytest
settings are always this project's (`--rootdir`, `-c`, `--confcutdir` name it); `--impl DIR`
takes only the kata modules from DIR. Run in a trusted checkout with `--impl student/katas`,
nothing the student wrote but those modules is collected, loaded or read as a setting.
"""

from __future__ import annotations

import argparse
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

from rich.table import Table
from rich.text import Text

from ..catalog import LEVEL_NAMES, Kata
from ..errors import DojoError, UsageError
from ..grading import reporter
from ..grading.formats import classroom_json, junit_xml, markdown
from ..grading.score import QUARTERS, KataScore, format_points, score_kata, total_points, valid_points
from ..outcomes import NOT_RUN
from ..runs.child import ChildRun
from ..runs.warm import Warm, warm
from .console import err, fancy, out, sym
from .context import Context, add_impl
from .session import run_kata, services_of


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise DojoError(f"Cannot write {path}: {exc.strerror}.") from None


def cmd_grade(
    root: Path,
    katas: list[Kata],
    impl_spec: str,
    *,
    points: float,
    timeout_s: float,
    kata_timeout_s: float,
    json_path: Path | None,
    junit_path: Path | None,
    github_output: bool = False,
    markdown_path: Path | None = None,
) -> int:
    """Grade `katas`; exit 0 when every test passed, 1 otherwise."""
    console = out()
    if not katas:
        raise DojoError("No kata is available to grade (katas/catalog.toml lists none whose folder exists).")
    scores: list[KataScore] = []
    with warm(root, services_of(katas)) as w:
        for note in w.notes:
            err().print(Text(note, "warn"))
        for kata in katas:
            run = _grade_run(root, kata, impl_spec, w, timeout_s, kata_timeout_s)
            score = score_kata(kata, run, points)
            scores.append(score)
            if not fancy():
                console.print(f"{kata.folder}: {format_points(score.points)}/{format_points(score.max_points)} points")
    _print_table(scores)
    data = classroom_json(scores)
    if json_path is not None:
        _write(json_path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    if junit_path is not None:
        tree = junit_xml(scores)
        _write(junit_path, ET.tostring(tree.getroot(), encoding="unicode", xml_declaration=True) + "\n")
    if markdown_path is not None:
        _write(markdown_path, markdown(scores))
    if github_output:
        _github_output(reporter.github_outputs(reporter.runners(scores), data))
    return 0 if data["status"] == "pass" else 1


def _grade_run(root: Path, kata: Kata, impl_spec: str, w: Warm, timeout_s: float, kata_timeout_s: float) -> ChildRun:
    """The kata's tests, each limited to `timeout_s`, the whole run to `kata_timeout_s`.

    Tests a run left out because pytest itself stopped early (an INTERNALERROR) run once more:
    a crash of the test runner must not cost the student points.
    """
    limits = {"record": False, "test_timeout_s": timeout_s, "timeout_s": kata_timeout_s, "extra": pristine(root)}
    run = run_kata(root, kata, impl_spec, w, label=f"Grading {kata.folder}…", **limits)
    missing = [n for n, t in run.of_kata(kata.folder).items() if t.outcome == NOT_RUN]
    if missing and not run.timed_out:
        again = run_kata(root, kata, impl_spec, w, targets=missing, quiet=True, **limits)
        run.tests.update({n: again.tests[n] for n in missing if n in again.tests})
    return run


def pristine(root: Path) -> list[str]:
    """pytest options that pin the tests' settings to this project: its rootdir, its pytest
    configuration, and no conftest file from above it."""
    options = ["--rootdir", str(root), "--confcutdir", str(root)]
    config = root / "pyproject.toml"
    return [*options, "-c", str(config)] if config.is_file() else options


def _print_table(scores: list[KataScore]) -> None:
    levels = sorted({lv.level for ks in scores for lv in ks.levels}) or [1, 2, 3, 4]
    table = Table(title="Grade", title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("Kata", no_wrap=True)
    for lv in levels:
        table.add_column(f"L{lv} {LEVEL_NAMES.get(lv, '')}", justify="right", no_wrap=True)
    table.add_column("Points", justify="right", no_wrap=True)
    for ks in scores:
        cells: list[Text | str] = [ks.kata.folder]
        by = {lv.level: lv for lv in ks.levels}
        for lv in levels:
            s = by.get(lv)
            if s is None:
                cells.append(Text("—", "dim"))
            else:
                style = "ok" if s.passed == s.total else ("warn" if s.passed else "bad")
                cells.append(Text(f"{s.passed}/{s.total}", style))
        cells.append(Text(f"{format_points(ks.points)}/{format_points(ks.max_points)}", "bold"))
        table.add_row(*cells)
    console = out()
    console.print(table)
    for ks in scores:
        if ks.error:
            console.print(Text.assemble((f"{sym('bad')} {ks.kata.folder}: ", "bad"), ks.error))
    total, most = total_points(scores)
    percent = 100 * total / most if most else 0
    console.print(Text(f"Total: {format_points(total)}/{format_points(most)} points ({percent:.0f}%)", "bold"))


def _github_output(lines: list[str]) -> None:
    """Append one base64 result per kata level (what the grading reporter reads) and `result` (the
    whole grade) to $GITHUB_OUTPUT."""
    target = os.environ.get("GITHUB_OUTPUT")
    if not target:
        err().print(
            Text("--github-output: GITHUB_OUTPUT is not set (this is not a GitHub Actions step); skipped.", "warn")
        )
        return
    try:
        with open(target, "a", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in lines))
    except OSError as exc:
        raise DojoError(f"Cannot append to GITHUB_OUTPUT ({target}): {exc.strerror}.") from None


HELP = "points per kata by level; --json (GitHub Classroom format), --junit, --markdown"


def add_arguments(g: argparse.ArgumentParser, _command: str) -> None:
    g.add_argument("katas", nargs="*", metavar="KATA", help="default: every available kata")
    add_impl(g)
    g.add_argument("--json", type=Path, metavar="FILE", help="write GitHub Classroom's autograding result JSON")
    g.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML")
    g.add_argument("--markdown", type=Path, metavar="FILE", help='write a Markdown summary ("$GITHUB_STEP_SUMMARY")')
    g.add_argument(
        "--points", type=float, default=10, help="points per kata (default 10, whole quarters), shared 3:3:2:2 by level"
    )
    g.add_argument("--timeout", type=float, default=20, help="seconds a test may run (default 20)")
    g.add_argument("--kata-timeout", type=float, default=300, help="seconds a whole kata may run (default 300)")
    g.add_argument(
        "--github-output",
        action="store_true",
        help="append one base64 result per kata level (for the grading reporter) to $GITHUB_OUTPUT",
    )


def main(ctx: Context) -> int:
    args = ctx.args
    for name, value in (("--points", args.points), ("--timeout", args.timeout), ("--kata-timeout", args.kata_timeout)):
        if not value > 0:
            raise UsageError(f"{name} must be a positive number, not {value:g}.")
    if not valid_points(args.points):
        raise UsageError(
            f"--points must be at least 1 and whole quarters (10, 7.5, 12.25), not {args.points:g}: "
            f"sums of 1/{QUARTERS} points stay exact."
        )
    return cmd_grade(
        ctx.root,
        ctx.chosen(args.katas),
        ctx.impl,
        points=args.points,
        timeout_s=args.timeout,
        kata_timeout_s=args.kata_timeout,
        json_path=args.json,
        junit_path=args.junit,
        github_output=args.github_output,
        markdown_path=args.markdown,
    )
