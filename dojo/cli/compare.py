"""`dojo compare`: your code and the reference, test by test; the reference code only once you pass."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from ..catalog import Kata, tests_in
from ..errors import DojoError
from ..harness import impl, recorder
from ..outcomes import TestResult
from ..runs.child import ChildRun
from ..runs.warm import warm
from . import report
from .console import fancy, out, sym
from .context import Context, add_impl
from .session import header, run_kata


def _mark(result: TestResult | None) -> Text:
    if result is None:
        return Text("—", "dim")
    if result.passed:
        return Text(sym("ok"), "ok")
    return Text(sym("bad"), "bad")


def learner_file(root: Path, kata: Kata, impl_spec: str) -> Path:
    try:
        return impl.module_file(impl.impl_root(impl_spec, root), kata.folder, kata.module)
    except impl.ImplError as exc:
        raise DojoError(str(exc)) from None


def cmd_compare(root: Path, kata: Kata, impl_spec: str, force: bool) -> int:
    if not kata.reference.is_file():
        raise DojoError(f"There is no reference for {kata.folder} here ({kata.rel(kata.reference)} does not exist).")
    mine_path = learner_file(root, kata, impl_spec)
    console = out()
    console.print(header(kata, impl_spec))
    with warm(root, set(kata.services)) as w:
        mine = run_kata(root, kata, impl_spec, w)
        ref = recorded_reference(root, kata) or run_kata(root, kata, "solutions", w)
    mine_tests = {t.nodeid: t for t in report.ordered_tests(kata, mine)}
    ref_tests = {t.nodeid: t for t in report.ordered_tests(kata, ref)}
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("Level", no_wrap=True)
    table.add_column("Test")
    table.add_column("Yours", justify="center", no_wrap=True)
    table.add_column("Reference", justify="center", no_wrap=True)
    for nodeid in dict.fromkeys([*mine_tests, *ref_tests]):
        result = mine_tests.get(nodeid) or ref_tests[nodeid]
        table.add_row(
            str(result.level or ""),
            result.function + _params(nodeid),
            _mark(mine_tests.get(nodeid)),
            _mark(ref_tests.get(nodeid)),
        )
    console.print(table)
    passed = sum(t.passed for t in mine_tests.values())
    total = len(ref_tests) or len(mine_tests)
    errors = mine.errors_of(kata.folder)
    if errors and not mine_tests:
        console.print(Text(f"Your code could not run: {errors[0]}", "bad"))
    console.print(
        f"Yours: {passed}/{total} passed.  Reference: "
        f"{sum(t.passed for t in ref_tests.values())}/{len(ref_tests)} passed."
    )
    solved = total > 0 and passed == total
    if not (solved or force):
        console.print(
            Text.assemble(
                "The reference code is shown once all your tests pass (or with ",
                (f"dojo compare {kata.number} --force", "cmd"),
                "). Until then: ",
                (f"dojo hint {kata.number}", "cmd"),
                ".",
            )
        )
        return 0
    _show_diff(kata, mine_path, root)
    return 0


def recorded_reference(root: Path, kata: Kata) -> ChildRun | None:
    """The reference's recorded results, when every test has one newer than the reference and the tests.

    The reference does not change while a learner works, so its last full run stands in for a
    new one (a compare then costs one run, not two).
    """
    try:
        changed = max(kata.reference.stat().st_mtime, kata.test_file.stat().st_mtime)
    except OSError:
        return None
    fresh = {
        n: r
        for n, r in recorder.load(root / recorder.DEFAULT_FILE, "solutions").items()
        if n.startswith(f"{kata.target}/") and r.when > changed
    }
    names = set(tests_in(kata.test_file))
    if not names or not names <= {r.function for r in fresh.values()}:
        return None
    return ChildRun(0, "", tests=fresh)


def _params(nodeid: str) -> str:
    last = nodeid.split("::")[-1]
    return last[last.index("[") :] if "[" in last else ""


def _show_diff(kata: Kata, mine_path: Path, root: Path) -> None:
    mine = mine_path.read_text(encoding="utf-8").splitlines(keepends=True)
    ref = kata.reference.read_text(encoding="utf-8").splitlines(keepends=True)
    diff = "".join(difflib.unified_diff(mine, ref, fromfile=_rel(mine_path, root), tofile=kata.rel(kata.reference)))
    console = out()
    if not diff:
        console.print("Your code and the reference are identical.")
        return
    console.print(Text("Your code → the reference:", "bold"))
    if fancy():
        console.print(Syntax(diff, "diff", theme="ansi_dark", background_color="default"))
    else:
        sys.stdout.write(diff if diff.endswith("\n") else diff + "\n")


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


HELP = "your code and the reference, test by test (the code once you pass, or --force)"


def add_arguments(p: argparse.ArgumentParser, _command: str) -> None:
    p.add_argument("kata")
    p.add_argument("--force", action="store_true", help="show the reference code even before you pass")
    add_impl(p)


def main(ctx: Context) -> int:
    return cmd_compare(ctx.root, ctx.kata(ctx.args.kata), ctx.impl, ctx.args.force)
