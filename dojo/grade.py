"""`dojo grade`: points per kata by level, a total, GitHub Classroom's result JSON and JUnit XML.

Each kata is worth `points` (default 10), shared between the levels it has in the ratio
3 : 3 : 2 : 2 (core, edges, concurrency, evidence); a level earns its share in proportion to
the tests passed. Every kata runs in its own child pytest with a per-test timeout and a
deadline for the whole kata, so hung code costs points but never hangs the grade.
"""

from __future__ import annotations

import base64
import json
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from rich.table import Table
from rich.text import Text

from . import child, inventory
from .console import err, fancy, out, sym
from .errors import DojoError
from .katas import LEVEL_NAMES, Kata
from .report import teach
from .session import services_of
from .warm import warm

LEVEL_WEIGHTS = {1: 3, 2: 3, 3: 2, 4: 2}
PASSING = ("passed", "skipped")


@dataclass
class LevelScore:
    level: int
    passed: int
    total: int
    max_points: float
    failures: list[tuple[str, str]] = field(default_factory=list)  # (test, message)
    seconds: float = 0.0

    @property
    def points(self) -> float:
        return round(self.max_points * self.passed / self.total, 2) if self.total else 0.0


@dataclass
class KataScore:
    kata: Kata
    max_points: float
    levels: list[LevelScore] = field(default_factory=list)
    error: str = ""  # the kata could not be graded at all (its code does not load, the run was killed…)
    tests: list[tuple[str, dict]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def points(self) -> float:
        return round(sum(lv.points for lv in self.levels), 2)


def score_kata(kata: Kata, run: child.ChildRun, points: float) -> KataScore:
    """Points for one kata from its run."""
    declared = inventory.tests_in(kata.test_file)
    tests = []
    for nodeid, entry in run.of_kata(kata.folder).items():
        level = entry.get("level") or declared.get(inventory.function_of(nodeid)) or 1
        tests.append((nodeid, {**entry, "level": level}))
    result = KataScore(kata, points, tests=tests, seconds=run.seconds)
    if not tests:
        errors = run.errors_of(kata.folder)
        if run.timed_out:
            result.error = f"timed out: {kata.folder} was stopped after {run.seconds:.0f} s before any test ran"
        else:
            result.error = errors[0] if errors else (_tail(run.output) or "no test ran")
        return result
    levels = sorted({t["level"] for _, t in tests})
    weight = sum(LEVEL_WEIGHTS.get(lv, 1) for lv in levels)
    for lv in levels:
        mine = [(n, t) for n, t in tests if t["level"] == lv]
        score = LevelScore(lv, 0, len(mine), round(points * LEVEL_WEIGHTS.get(lv, 1) / weight, 2))
        for nodeid, t in mine:
            score.seconds += float(t.get("duration_s") or 0)
            if t["outcome"] in PASSING:
                score.passed += 1
            else:
                message = teach(t.get("message", "")) or ("not run" if t["outcome"] == "not run" else "failed")
                score.failures.append((nodeid.split("::")[-1], message))
        result.levels.append(score)
    return result


def _tail(output: str) -> str:
    lines = [ln.strip() for ln in output.splitlines() if ln.strip() and not ln.startswith(("=", "_"))]
    return lines[-1][:300] if lines else ""


# --- output formats ------------------------------------------------------------------------------


def classroom_json(scores: list[KataScore]) -> dict:
    """GitHub Classroom's autograding result: version, status, max_score, tests[name/status/score/message…]."""
    tests = []
    for ks in scores:
        filename = ks.kata.rel(ks.kata.test_file)
        if ks.error:
            tests.append(
                {
                    "name": f"{ks.kata.folder} {ks.kata.title}",
                    "status": "error",
                    "score": 0,
                    "message": ks.error,
                    "test_code": f"pytest {ks.kata.target}",
                    "filename": filename,
                    "line_no": 0,
                    "duration": round(ks.seconds * 1000),
                }
            )
            continue
        for lv in ks.levels:
            passed_all = lv.passed == lv.total
            if passed_all:
                message = f"{lv.passed}/{lv.total} tests passed"
            else:
                shown = "; ".join(f"{name}: {msg}" for name, msg in lv.failures[:3])
                more = f" (+{len(lv.failures) - 3} more)" if len(lv.failures) > 3 else ""
                message = f"{lv.passed}/{lv.total} tests passed. Failing: {shown}{more}"
            tests.append(
                {
                    "name": f"{ks.kata.folder} level {lv.level} ({LEVEL_NAMES.get(lv.level, 'extra')})",
                    "status": "pass" if passed_all else "fail",
                    "score": _num(lv.points),
                    "max_score": _num(lv.max_points),
                    "message": message[:2000],
                    "test_code": f"pytest {ks.kata.target} --level {lv.level}",
                    "filename": filename,
                    "line_no": 0,
                    "duration": round(lv.seconds * 1000),
                }
            )
    statuses = {t["status"] for t in tests}
    status = "error" if not tests or statuses == {"error"} else ("pass" if statuses == {"pass"} else "fail")
    max_score = round(sum(ks.max_points for ks in scores), 2)
    return {"version": 1, "status": status, "max_score": _num(max_score), "tests": tests}


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else x


def junit_xml(scores: list[KataScore]) -> ET.ElementTree:
    """One <testsuite> per kata, one <testcase> per test, points as suite properties."""
    suites = ET.Element("testsuites", name="dojo grade")
    total = failures = errors = 0
    for ks in scores:
        suite = ET.SubElement(suites, "testsuite", name=ks.kata.folder)
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="points", value=f"{ks.points:g}")
        ET.SubElement(props, "property", name="max_points", value=f"{ks.max_points:g}")
        n = f = e = 0
        if ks.error:
            case = ET.SubElement(suite, "testcase", classname=ks.kata.folder, name="run", time=f"{ks.seconds:.3f}")
            ET.SubElement(case, "error", message=ks.error).text = ks.error
            n, e = 1, 1
        for nodeid, t in ks.tests:
            parts = nodeid.split("::")
            classname = ".".join([parts[0].removesuffix(".py").replace("/", "."), *parts[1:-1]])
            case = ET.SubElement(
                suite, "testcase", classname=classname, name=parts[-1], time=f"{float(t.get('duration_s') or 0):.3f}"
            )
            ET.SubElement(case, "properties").append(ET.Element("property", name="level", value=str(t.get("level"))))
            n += 1
            if t["outcome"] == "skipped":
                ET.SubElement(case, "skipped")
            elif t["outcome"] not in PASSING:
                f += 1
                message = teach(t.get("message", "")) or t["outcome"]
                ET.SubElement(case, "failure", message=message).text = message
        suite.set("tests", str(n))
        suite.set("failures", str(f))
        suite.set("errors", str(e))
        suite.set("time", f"{ks.seconds:.3f}")
        total, failures, errors = total + n, failures + f, errors + e
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    suites.set("errors", str(errors))
    ET.indent(suites)
    return ET.ElementTree(suites)


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise DojoError(f"Cannot write {path}: {exc.strerror}.") from None


# --- the command ---------------------------------------------------------------------------------


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
            spinner = console.status(f"Grading {kata.folder}…") if fancy() else _NoSpinner()
            with spinner:
                run = child.run(
                    root,
                    [kata.target],
                    impl=impl_spec,
                    env=w.env,
                    record=False,
                    timeout_s=kata_timeout_s,
                    extra=["-o", f"timeout={timeout_s:g}"],
                )
            if run.timed_out:
                w.clean_after_stopped_run(run.pid)
            else:
                _run_the_rest(root, kata, run, impl_spec, w.env, timeout_s, kata_timeout_s)
            score = score_kata(kata, run, points)
            scores.append(score)
            if not fancy():
                console.print(f"{kata.folder}: {score.points:g}/{score.max_points:g} points")
    _print_table(scores)
    data = classroom_json(scores)
    if json_path is not None:
        _write(json_path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    if junit_path is not None:
        tree = junit_xml(scores)
        _write(junit_path, ET.tostring(tree.getroot(), encoding="unicode", xml_declaration=True) + "\n")
    if github_output:
        _github_output(data)
    return 0 if data["status"] == "pass" else 1


def _run_the_rest(
    root: Path, kata: Kata, run: child.ChildRun, impl_spec: str, env: dict, timeout_s: float, kata_timeout_s: float
) -> None:
    """Once more for tests a run left out because pytest itself stopped early (an INTERNALERROR):
    a crash of the test runner must not cost the student points."""
    missing = [n for n, t in run.of_kata(kata.folder).items() if t["outcome"] == "not run"]
    if not missing:
        return
    again = child.run(
        root,
        missing,
        impl=impl_spec,
        env=env,
        record=False,
        timeout_s=kata_timeout_s,
        extra=["-o", f"timeout={timeout_s:g}"],
    )
    for nodeid in missing:
        if nodeid in again.tests:
            run.tests[nodeid] = again.tests[nodeid]


class _NoSpinner:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _print_table(scores: list[KataScore]) -> None:
    levels = sorted({lv.level for ks in scores for lv in ks.levels}) or [1, 2, 3, 4]
    table = Table(title="Grade", title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("Kata", no_wrap=True)
    for lv in levels:
        table.add_column(f"L{lv} {LEVEL_NAMES.get(lv, '')}", justify="right", no_wrap=True)
    table.add_column("Points", justify="right", no_wrap=True)
    for ks in scores:
        cells: list[Text | str] = [ks.kata.folder]
        if ks.error:
            cells += [Text("—", "dim")] * len(levels)
        else:
            by = {lv.level: lv for lv in ks.levels}
            for lv in levels:
                s = by.get(lv)
                if s is None:
                    cells.append(Text("—", "dim"))
                else:
                    style = "ok" if s.passed == s.total else ("warn" if s.passed else "bad")
                    cells.append(Text(f"{s.passed}/{s.total}", style))
        cells.append(Text(f"{ks.points:g}/{ks.max_points:g}", "bold"))
        table.add_row(*cells)
    console = out()
    console.print(table)
    for ks in scores:
        if ks.error:
            console.print(Text.assemble((f"{sym('bad')} {ks.kata.folder}: ", "bad"), ks.error))
    total = round(sum(ks.points for ks in scores), 2)
    most = round(sum(ks.max_points for ks in scores), 2)
    percent = 100 * total / most if most else 0
    console.print(Text(f"Total: {total:g}/{most:g} points ({percent:.0f}%)", "bold"))


def _github_output(data: dict) -> None:
    """Append `result=<base64 JSON>` to $GITHUB_OUTPUT: the step output the classroom grading reporter reads."""
    target = os.environ.get("GITHUB_OUTPUT")
    if not target:
        err().print(
            Text("--github-output: GITHUB_OUTPUT is not set (this is not a GitHub Actions step); skipped.", "warn")
        )
        return
    line = "result=" + base64.b64encode(json.dumps(data).encode()).decode()
    try:
        with open(target, "a", encoding="utf-8") as f:
            f.write(line + "\n")
    except OSError as exc:
        raise DojoError(f"Cannot append to GITHUB_OUTPUT ({target}): {exc.strerror}.") from None
