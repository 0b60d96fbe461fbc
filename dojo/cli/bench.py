"""`dojo bench`: the katas' evidence tests, measured on this machine, next to the POC list's claims."""

from __future__ import annotations

import argparse
import contextlib
from dataclasses import dataclass
from pathlib import Path

from rich.table import Table
from rich.text import Text

from ..catalog import Kata, tests_in
from ..errors import DojoError
from ..runs import child
from ..runs.warm import warm
from .console import err, fancy, out, sym
from .context import Context, add_impl
from .session import services_of


@dataclass
class Row:
    kata: Kata
    evidence: str
    measured: str
    naive_vs_pattern: str
    claim: str
    ok: bool = True


def _figure(value: object, unit: str) -> str:
    unit = unit.strip()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{value}{unit}"
    shown = (
        f"{value:.1f}"
        if isinstance(value, float) and not float(value).is_integer() and abs(value) < 100
        else f"{value:g}"
    )
    if unit in ("%", "×"):
        return f"{shown}{unit}"
    return f"{shown} {unit}".strip()


def _naive_vs_pattern(ev: dict) -> str:
    if "baseline_ms" in ev and "pattern_ms" in ev:
        return f"{ev['baseline_ms']:g} ms {sym('arrow')} {ev['pattern_ms']:g} ms"
    return str(ev.get("detail") or "")


def has_evidence_tests(kata: Kata) -> bool:
    return any(level == 4 for level in tests_in(kata.test_file).values())


def rows_for(kata: Kata, run: child.ChildRun) -> list[Row]:
    """One row per recorded figure; a row saying why when the level-4 tests recorded none."""
    tests = run.of_kata(kata.folder)
    rows: list[Row] = []
    for result in tests.values():
        for ev in result.evidence:
            rows.append(
                Row(
                    kata,
                    str(ev.get("name", "")),
                    _figure(ev.get("value"), str(ev.get("unit") or "")),
                    _naive_vs_pattern(ev),
                    str(ev.get("claim") or ""),
                )
            )
    if rows and not any(r.claim for r in rows):
        rows[0].claim = kata.claim
    failing = [t for t in tests.values() if t.counted and not t.passed]
    if failing:
        why = failing[0].message or failing[0].outcome
        rows.append(
            Row(
                kata,
                f"{sym('bad')} {failing[0].function}",
                "failed",
                why,
                "" if rows else kata.claim,
                ok=False,
            )
        )
    elif not rows:
        errors = run.errors_of(kata.folder)
        why = errors[0] if errors else "its level-4 tests recorded no figure"
        rows.append(Row(kata, "no evidence", "—", why, kata.claim, ok=not errors))
    return rows


def markdown(rows: list[Row]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [
        "| Kata | Evidence | Measured here | Naive vs pattern | POC list claims |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {cell(r.kata.folder)} | {cell(r.evidence)} | {cell(r.measured)} | {cell(r.naive_vs_pattern)} | {cell(r.claim)} |"
        )
    return "\n".join(lines)


def table(rows: list[Row], where: str) -> Table:
    t = Table(
        title=f"Evidence measured on this machine ({where})", title_justify="left", show_edge=False, pad_edge=False
    )
    t.add_column("Kata", no_wrap=True)
    t.add_column("Evidence", ratio=3)
    t.add_column("Measured here", justify="right", no_wrap=True)
    t.add_column("Naive vs pattern", ratio=3)
    t.add_column("POC list claims", ratio=2)
    previous = None
    for r in rows:
        t.add_row(
            Text(r.kata.folder if r.kata != previous else "", "kata"),
            Text(r.evidence, "" if r.ok else "bad"),
            Text(r.measured, "ok" if r.ok else "bad"),
            Text(r.naive_vs_pattern, "dim"),
            Text(r.claim),
        )
        previous = r.kata
    return t


def cmd_bench(root: Path, katas: list[Kata], impl_spec: str, as_markdown: bool) -> int:
    """Run every chosen kata's level-4 tests in one child run; exit 1 if one of them failed."""
    chosen = [k for k in katas if has_evidence_tests(k)]
    skipped = [k for k in katas if k not in chosen]
    if not chosen:
        raise DojoError("None of these katas has level-4 (evidence) tests yet.")
    console = out()
    spinner = (
        console.status(f"Running the evidence tests of {len(chosen)} kata(s)…") if fancy() else contextlib.nullcontext()
    )
    with warm(root, services_of(chosen)) as w, spinner:
        for note in w.notes:
            err().print(Text(note, "warn"))
        run = child.run(root, [k.target for k in chosen], impl=impl_spec, env=w.env, extra=["--level", "4"])
    rows = [row for k in chosen for row in rows_for(k, run)]
    where = {"katas": "your code", "solutions": "the reference"}.get(impl_spec, impl_spec)
    if as_markdown:
        print(markdown(rows))
    else:
        console.print(table(rows, where))
        if skipped:
            names = ", ".join(k.folder for k in skipped)
            console.print(Text(f"No level-4 tests yet: {names}.", "dim"))
    return 0 if all(r.ok for r in rows) else 1


HELP = "the evidence tests: what the patterns buy, measured here, next to the POC claims"


def add_arguments(p: argparse.ArgumentParser, _command: str) -> None:
    p.add_argument("katas", nargs="*", metavar="KATA", help="default: every kata with evidence tests")
    p.add_argument("--markdown", action="store_true", help="print a Markdown table")
    add_impl(p)


def main(ctx: Context) -> int:
    return cmd_bench(ctx.root, ctx.chosen(ctx.args.katas), ctx.impl, ctx.args.markdown)
