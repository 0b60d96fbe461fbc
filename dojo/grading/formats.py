"""The grade in the formats people and CI systems read: Classroom JSON, JUnit XML and Markdown."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..catalog import LEVEL_NAMES
from .score import KataScore, LevelScore, TestScore, format_points, total_points

SHOWN_FAILURES = 3  # failures named in a level's one-line message


def level_message(lv: LevelScore) -> str:
    """`5/7 tests passed. Failing: test_x: why; …` (at most 2,000 characters)."""
    head = f"{lv.passed}/{lv.total} tests passed"
    if not lv.failures:
        return head
    shown = "; ".join(f"{t.name}: {t.message}" for t in lv.failures[:SHOWN_FAILURES])
    more = f" (+{len(lv.failures) - SHOWN_FAILURES} more)" if len(lv.failures) > SHOWN_FAILURES else ""
    return f"{head}. Failing: {shown}{more}"[:2000]


def level_title(ks: KataScore, lv: LevelScore) -> str:
    return f"{ks.kata.folder} level {lv.level} ({LEVEL_NAMES.get(lv.level, 'extra')})"


def status_of(statuses: set[str]) -> str:
    """A result's status from its entries': error when all errored, pass when all passed, else fail."""
    if not statuses or statuses == {"error"}:
        return "error"
    return "pass" if statuses == {"pass"} else "fail"


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else x


def classroom_json(scores: list[KataScore]) -> dict:
    """The whole grade in GitHub Classroom's result format: one entry per kata level (one per kata
    that could not run). The reporter gets it split into one result per level (reporter.py)."""
    tests = []
    for ks in scores:
        filename = ks.kata.rel(ks.kata.test_file)
        if ks.error:
            tests.append(
                {
                    "name": f"{ks.kata.folder} {ks.kata.title}",
                    "status": "error",
                    "score": 0,
                    "max_score": _num(ks.max_points),
                    "message": ks.error,
                    "test_code": f"pytest {ks.kata.target}",
                    "filename": filename,
                    "line_no": 0,
                    "duration": round(ks.seconds * 1000),
                }
            )
            continue
        for lv in ks.levels:
            tests.append(
                {
                    "name": level_title(ks, lv),
                    "status": "pass" if lv.passed == lv.total else "fail",
                    "score": _num(lv.points),
                    "max_score": _num(lv.max_points),
                    "message": level_message(lv),
                    "test_code": f"pytest {ks.kata.target} --level {lv.level}",
                    "filename": filename,
                    "line_no": 0,
                    "duration": round(lv.seconds * 1000),
                }
            )
    earned, most = total_points(scores)
    return {
        "version": 1,
        "status": status_of({t["status"] for t in tests}),
        "max_score": _num(most),
        "points": _num(earned),
        "tests": tests,
    }


def _classname(t: TestScore) -> str:
    parts = t.nodeid.split("::")
    return ".".join([parts[0].removesuffix(".py").replace("/", "."), *parts[1:-1]])


def junit_xml(scores: list[KataScore]) -> ET.ElementTree:
    """One <testsuite> per kata, one <testcase> per declared test (missing ones included), points as
    suite properties; a test stopped by a timeout keeps the time it really ran."""
    suites = ET.Element("testsuites", name="dojo grade")
    total = failures = errors = 0
    for ks in scores:
        suite = ET.SubElement(suites, "testsuite", name=ks.kata.folder)
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="points", value=format_points(ks.points))
        ET.SubElement(props, "property", name="max_points", value=format_points(ks.max_points))
        n = f = e = 0
        if ks.error:
            case = ET.SubElement(suite, "testcase", classname=ks.kata.folder, name="run", time=f"{ks.seconds:.3f}")
            ET.SubElement(case, "error", message=ks.error).text = ks.error
            n, e = 1, 1
        for t in ks.tests:
            case = ET.SubElement(suite, "testcase", classname=_classname(t), name=t.name, time=f"{t.duration_s:.3f}")
            ET.SubElement(case, "properties").append(ET.Element("property", name="level", value=str(t.level)))
            n += 1
            if not t.passed:
                f += 1
                ET.SubElement(case, "failure", message=t.message, type=t.outcome).text = t.message
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


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(scores: list[KataScore], shown: int = 30) -> str:
    """A Markdown summary (for $GITHUB_STEP_SUMMARY or any CI page): the total, a row per kata, the
    failing tests with their one teaching sentence."""
    earned, most = total_points(scores)
    percent = round(100 * earned / most) if most else 0
    levels = sorted({lv.level for ks in scores for lv in ks.levels}) or [1, 2, 3, 4]
    lines = [
        f"## Grade: {format_points(earned)}/{format_points(most)} points ({percent}%)",
        "",
        "| Kata | " + " | ".join(f"L{lv} {LEVEL_NAMES.get(lv, '')}" for lv in levels) + " | Points |",
        "|---|" + "---:|" * (len(levels) + 1),
    ]
    for ks in scores:
        by = {lv.level: lv for lv in ks.levels}
        cells = [f"{by[lv].passed}/{by[lv].total}" if lv in by else "—" for lv in levels]
        points = f"**{format_points(ks.points)}/{format_points(ks.max_points)}**"
        lines.append(f"| {_cell(ks.kata.folder)} | " + " | ".join(cells) + f" | {points} |")
    errors = [ks for ks in scores if ks.error]
    if errors:
        lines += ["", *(f"- **{ks.kata.folder}** could not run: {_cell(ks.error)}" for ks in errors)]
    failing = [(ks, t) for ks in scores if not ks.error for t in ks.tests if not t.passed]
    if failing:
        lines += ["", f"<details><summary>Failing tests ({len(failing)})</summary>", ""]
        lines += [f"- `{ks.kata.folder}` L{t.level} `{t.name}`: {_cell(t.message)}" for ks, t in failing[:shown]]
        if len(failing) > shown:
            lines.append(f"- … and {len(failing) - shown} more (see the JUnit report)")
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"
