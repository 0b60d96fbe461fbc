"""The grade in the formats CI systems read: GitHub Classroom's result JSON and JUnit XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..catalog import LEVEL_NAMES
from ..outcomes import SKIPPED, teach
from .score import KataScore


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
        for t in ks.tests:
            parts = t.nodeid.split("::")
            classname = ".".join([parts[0].removesuffix(".py").replace("/", "."), *parts[1:-1]])
            case = ET.SubElement(suite, "testcase", classname=classname, name=parts[-1], time=f"{t.duration_s:.3f}")
            ET.SubElement(case, "properties").append(ET.Element("property", name="level", value=str(t.level)))
            n += 1
            if not t.passed:
                f += 1
                message = teach(t.message) or t.outcome
                if t.outcome == SKIPPED:
                    message = f"skipped, which earns no point: {message}"
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
