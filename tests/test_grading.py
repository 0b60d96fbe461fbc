"""A grade an instructor can trust: each cheat of issue 10 earns no point it should not.

The grading runs as the classroom workflow runs it: the workspace is the trusted template (here
a copy of the project holding kata 03_lock), the student's repository is checked out into
`student/`, and `dojo grade --impl student/katas` grades the student's module with the
template's tests, conftest files and pytest settings. Then: scoring rules on made-up runs, the
reporter's arithmetic, the exported template (no reference code), and a template graded end to
end by its own workflow's steps.
"""

from __future__ import annotations

import ast
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from dojo.catalog import PACKAGE_ROOT as ROOT
from dojo.catalog import load as load_catalog
from dojo.catalog import tests_in as declared_tests
from dojo.grading.reporter import entry_scores, js_sum
from dojo.grading.score import level_maxima, score_kata, to_cents
from dojo.outcomes import FAILED, PASSED, SKIPPED, TestResult
from dojo.runs.child import ChildRun

KATA = "03_lock"
TEST_FILE = ROOT / "katas" / KATA / "test_lock.py"
REFERENCE = ROOT / "solutions" / KATA / "lock.py"
WEIGHTS = {1: 3, 2: 3, 3: 2, 4: 2}


# --- helpers ----------------------------------------------------------------------------------------


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without pytest's and the katas' own variables: dojo starts its own servers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "KATAS_", "FORCE_COLOR", "NO_COLOR"))}
    env["COLUMNS"] = "200"
    env.update(extra)
    return env


def copy_project(dest: Path, katas: tuple[str, ...] = (KATA,)) -> Path:
    """The project's files a kata run needs: catalog, conftest, pyproject, and the katas' folders."""
    for name in ("pyproject.toml", "conftest.py", "katas/catalog.toml"):
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, dest / name)
    for kata in katas:
        shutil.copytree(ROOT / "katas" / kata, dest / "katas" / kata, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """The workflow's layout: the trusted template as the workspace, the student's repository in student/."""
    ws = copy_project(tmp_path / "ws")
    copy_project(ws / "student")
    return ws


def student_file(ws: Path, rel: str, source: str) -> Path:
    path = ws / "student" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


def dojo(cwd: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dojo", *args], cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=timeout
    )


def grade(ws: Path, *args: str, impl: str = "student/katas") -> dict:
    """`dojo grade 03` in `ws` on `impl`: the Classroom JSON it wrote."""
    out = ws / "grade.json"
    out.unlink(missing_ok=True)
    done = dojo(ws, "grade", KATA, "--impl", impl, "--timeout", "5", "--json", str(out), *args)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    data = json.loads(out.read_text())
    data["stdout"] = done.stdout
    return data


def levels_of_tests() -> dict[str, int]:
    return {name: level or 1 for name, level in declared_tests(TEST_FILE).items()}


def expected_points(failing: set[str]) -> float:
    """10 points, 3:3:2:2 by level, a level's share ∝ its tests passed, cents rounded half up."""
    cells: dict[int, list[int]] = {}
    for name, level in levels_of_tests().items():
        cell = cells.setdefault(level, [0, 0])
        cell[0] += name not in failing
        cell[1] += 1
    cents = 0
    for level, (passed, total) in cells.items():
        exact = Decimal(passed / total * WEIGHTS[level])
        cents += int(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100)
    return cents / 100


def callers_of(function: str) -> set[str]:
    """Names of the kata's tests that call lock.<function>."""
    found = set()
    for node in ast.walk(ast.parse(TEST_FILE.read_text())):
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Attribute) and sub.attr == function and getattr(sub.value, "id", "") == "lock":
                    found.add(node.name)
    return found


def with_bodies(source: str, body: str, only: set[str] | None = None) -> str:
    """`source` with the body of each top-level function (or of those in `only`) replaced by `body`."""
    tree = ast.parse(source)
    lines = source.splitlines()
    for node in sorted(
        (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and (only is None or n.name in only)),
        key=lambda n: -n.lineno,
    ):
        indent = " " * node.body[0].col_offset
        lines[node.body[0].lineno - 1 : node.end_lineno] = [indent + line for line in body.splitlines()]
    return "\n".join(lines) + "\n"


def points_of(data: dict) -> float:
    return round(sum(t["score"] for t in data["tests"]), 2)


# --- the cheats of issue 10 --------------------------------------------------------------------------


def test_functions_that_call_pytest_skip_earn_nothing(workspace):
    source = (ROOT / "katas" / KATA / "lock.py").read_text()
    student_file(workspace, f"katas/{KATA}/lock.py", with_bodies(source, '__import__("pytest").skip("later")'))
    data = grade(workspace)
    assert points_of(data) == 0 and data["points"] == 0, data["stdout"]
    assert {t["status"] for t in data["tests"]} == {"fail"}
    assert "skipped, which earns no point" in data["tests"][0]["message"]
    assert "Total: 0/10 points" in data["stdout"]


def test_a_skipping_module_is_not_solved_in_dojo_list(tmp_path):
    project = copy_project(tmp_path / "project")
    source = (ROOT / "katas" / KATA / "lock.py").read_text()
    (project / "katas" / KATA / "lock.py").write_text(with_bodies(source, '__import__("pytest").skip("later")'))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", f"katas/{KATA}", "-p", "no:xdist", "-q"],
        cwd=project,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "skipped" in done.stdout, done.stdout + done.stderr
    listed = dojo(project, "list").stdout
    row = next(line for line in listed.splitlines() if line.startswith(KATA))
    assert "solved" not in row and f"0 of {len(levels_of_tests())} tests" in row, listed


def test_a_student_conftest_that_rewrites_reports_earns_nothing_and_never_loads(workspace):
    cheat = """\
        import pathlib
        import pytest

        pathlib.Path(__file__).with_suffix(".loaded").write_text("loaded")


        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_makereport(item, call):
            report = (yield).get_result()
            report.outcome, report.longrepr = "passed", None
        """
    student_file(workspace, f"katas/{KATA}/conftest.py", cheat)
    student_file(workspace, "conftest.py", 'pytest_plugins = ["dojo.harness.plugin"]\n' + textwrap.dedent(cheat))
    # The cheat is real: graded in the student's own repository, the untouched stub gets every point.
    naive = grade(workspace / "student", impl="katas")
    assert naive["points"] == 10, naive["stdout"]
    for marker in (workspace / "student").rglob("*.loaded"):
        marker.unlink()
    # Graded as the workflow grades it, with the template's tests and conftest files: nothing.
    data = grade(workspace)
    assert points_of(data) == 0 and data["status"] == "fail", data["stdout"]
    assert not list(workspace.rglob("*.loaded")), "a student conftest.py was loaded"


def test_deselected_tests_in_every_student_settings_file_earn_nothing(workspace):
    """A partial solution with its failing tests deselected in pyproject.toml, pytest.ini, setup.cfg
    and tox.ini: the settings are never read, and a test that did not run would count as failed."""
    failing = callers_of("extend")
    assert failing, "03_lock's tests should call lock.extend"
    reference = with_bodies(REFERENCE.read_text(), "raise NotImplementedError", only={"extend"})
    student_file(workspace, f"katas/{KATA}/lock.py", reference)
    classes = {1: "TestCore", 2: "TestExpiryAndOwnership", 3: "TestConcurrency", 4: "TestEvidence"}
    deselect = " ".join(
        f"--deselect katas/{KATA}/test_lock.py::{classes[levels_of_tests()[name]]}::{name}" for name in sorted(failing)
    )
    pyproject = (workspace / "student" / "pyproject.toml").read_text()
    student_file(workspace, "pyproject.toml", pyproject.replace('addopts = "', f'addopts = "{deselect} '))
    student_file(workspace, "pytest.ini", f"[pytest]\naddopts = {deselect}\n")
    student_file(workspace, "setup.cfg", f"[tool:pytest]\naddopts = {deselect}\n")
    student_file(workspace, "tox.ini", f"[pytest]\naddopts = {deselect}\n")
    data = grade(workspace)
    assert data["points"] == expected_points(failing) < 10, data["stdout"]
    failed = [t for t in data["tests"] if t["status"] == "fail"]
    assert all("not implemented yet" in t["message"] for t in failed), failed


def test_no_student_settings_file_or_conftest_is_ever_read(workspace):
    """The reference with settings that break any pytest run reading them: it still gets every point."""
    student_file(workspace, f"katas/{KATA}/lock.py", REFERENCE.read_text())
    broken = "--no-such-option-from-the-student"
    pyproject = (workspace / "student" / "pyproject.toml").read_text()
    student_file(workspace, "pyproject.toml", pyproject.replace('addopts = "', f'addopts = "{broken} '))
    student_file(workspace, "pytest.ini", f"[pytest]\naddopts = {broken}\n")
    student_file(workspace, "setup.cfg", f"[tool:pytest]\naddopts = {broken}\n")
    student_file(workspace, "tox.ini", f"[pytest]\naddopts = {broken}\n")
    marker = 'import pathlib\npathlib.Path(__file__).with_suffix(".loaded").write_text("loaded")\n'
    student_file(workspace, "conftest.py", 'pytest_plugins = ["dojo.harness.plugin"]\n' + marker)
    student_file(workspace, f"katas/{KATA}/conftest.py", marker)
    student_file(workspace, "katas/conftest.py", marker)
    data = grade(workspace)
    assert data["points"] == 10 and data["status"] == "pass", data["stdout"]
    assert not list(workspace.rglob("*.loaded")), "a student conftest.py was loaded"


def test_emptied_test_bodies_earn_nothing(workspace):
    tests = student_file(workspace, f"katas/{KATA}/test_lock.py", with_bodies(TEST_FILE.read_text(), "pass"))
    assert "assert" not in tests.read_text().split("class TestCore")[1]
    data = grade(workspace)
    assert points_of(data) == 0 and data["status"] == "fail", data["stdout"]


def test_a_module_that_interrupts_the_run_earns_nothing(workspace):
    """A test interrupted before it finished (KeyboardInterrupt, pytest.exit) never counts as passed."""
    source = (ROOT / "katas" / KATA / "lock.py").read_text()
    student_file(workspace, f"katas/{KATA}/lock.py", with_bodies(source, "raise KeyboardInterrupt"))
    data = grade(workspace)
    assert points_of(data) == 0, data["stdout"]


# --- the rules, on made-up runs -------------------------------------------------------------------------


def made_up_run(outcomes: dict[str, str]) -> ChildRun:
    classes = {1: "TestCore", 2: "TestExpiryAndOwnership", 3: "TestConcurrency", 4: "TestEvidence"}
    tests = {}
    for name, outcome in outcomes.items():
        nodeid = f"katas/{KATA}/test_lock.py::{classes[levels_of_tests()[name]]}::{name}"
        tests[nodeid] = TestResult(nodeid, outcome=outcome, kata=KATA, message="why", duration_s=0.5)
    return ChildRun(returncode=1, output="", collected=list(tests), tests=tests, seconds=3.0)


def lock_kata():
    return next(k for k in load_catalog(ROOT) if k.folder == KATA)


def test_only_passed_earns_points_and_a_missing_test_is_a_failed_test():
    names = list(levels_of_tests())
    outcomes = {name: PASSED for name in names}
    outcomes[names[0]] = SKIPPED
    outcomes[names[1]] = FAILED
    del outcomes[names[2]]  # deselected: never collected
    run = made_up_run(outcomes)
    optional = next(iter(run.tests.values()))
    optional.optional = True  # an optional test that skipped counts in a grade too
    score = score_kata(lock_kata(), run, 10)
    assert score.points == expected_points(set(names[:3]))
    by_name = {t.name: t for t in score.tests}
    assert by_name[names[0]].message.startswith("skipped, which earns no point")
    assert by_name[names[2]].outcome == "missing"
    assert len(score.tests) == len(names), "every declared test is counted, run or not"


def test_level_maxima_are_quarters_that_sum_to_the_kata_points():
    assert level_maxima([1, 2, 3, 4], 10) == {1: 3, 2: 3, 3: 2, 4: 2}
    for points in (1, 2.5, 7, 7.25, 13, 100):
        for levels in ([1, 2, 3, 4], [1, 2, 3], [1, 4], [2]):
            maxima = level_maxima(levels, points)
            assert sum(maxima.values()) == points and all(m * 4 == int(m * 4) for m in maxima.values())


def test_points_round_like_javascript_to_fixed():
    assert to_cents(0.125) == 13 and to_cents(7 / 10 * 3) == 210 and to_cents(5 / 7 * 3) == 214


# --- what the grading reporter shows ---------------------------------------------------------------------


def to_fixed_2(x: float) -> str:
    """JavaScript's x.toFixed(2)."""
    return str(Decimal(x).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def js_string(x: float) -> str:
    """JavaScript's String(x) for the numbers a grade holds."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def reporter_view(runners: list[str], env: dict[str, str]) -> dict:
    """What classroom-resources/autograding-grading-reporter@v1 (dist/main.js) prints for these
    runners, computed as it computes it: per runner passing entries / entries × max_score (log line
    and table), and the notice Points <sum of scores>/<sum of max scores> sent to Classroom."""
    lines, table, total, most = [], [], 0.0, 0.0
    for runner in runners:
        result = json.loads(base64.b64decode(env[f"{runner.strip().upper()}_RESULTS"]).decode())
        tests, maximum = result["tests"], result.get("max_score") or 0
        score = sum(t["status"] == "pass" for t in tests) / len(tests) * maximum
        if maximum != 0:
            lines.append(f"Total points for {runner}: {to_fixed_2(score)}/{js_string(maximum)}")
        table.append(score)
        if result.get("max_score"):
            most += result["max_score"]
            for t in tests:
                total += t["score"]
    return {
        "lines": lines,
        "table_total": js_sum(table),
        "notice": f"Points {js_string(total)}/{js_string(most)}",
        "failed": any(json.loads(base64.b64decode(env[f"{r.upper()}_RESULTS"]))["status"] != "pass" for r in runners),
    }


def test_entry_scores_always_add_up_exactly_in_javascript_doubles():
    # One passing test in each of two levels: 0.3 + 0.6 is 0.8999999999999999 in doubles.
    assert js_sum([0.3, 0.6]) != 0.9
    scores = entry_scores([([True] + [False] * 9, 30), ([True] + [False] * 4, 60)])
    assert js_sum([s for level in scores for s in level]) == 0.9
    # Many levels, many shares: the sum is always the rounded total, each level keeps its points.
    levels = [([i % 3 != 0 for i in range(n)], cents) for n, cents in [(11, 191), (7, 257), (5, 120)] * 13]
    scores = entry_scores(levels)
    assert js_sum([s for level in scores for s in level]) == sum(c for _p, c in levels) / 100
    for (passed, cents), level in zip(levels, scores):
        assert round(sum(level), 2) == cents / 100 and all(s == 0 for s, ok in zip(level, passed) if not ok)


# --- the student template ----------------------------------------------------------------------------------


def function_bodies(path: Path) -> list[tuple[str, str]]:
    """(function, its body's source with whitespace collapsed), docstrings left out, for every
    function of `path` whose body is more than one short line."""
    source = path.read_text()
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]
            if not body:
                continue
            text = "\n".join(ast.get_source_segment(source, stmt) or "" for stmt in body)
            if len(body) > 1 or len(text) > 40:
                found.append((node.name, " ".join(text.split())))
    return found


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("template") / "katas-template"
    done = subprocess.run(
        [sys.executable, "-m", "dojo", "classroom", str(dest), "--template-repo", "acme/katas-2025"],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return dest


def reference_code_in(folder: Path) -> list[str]:
    """Where the references' (and the correct alternatives') function bodies appear in `folder`'s
    files, and which of its files is a mutant or imports solutions/, tests/ or dojo.authoring."""
    references = [*sorted((ROOT / "solutions").rglob("*.py")), *sorted((ROOT / "tests" / "alternatives").rglob("*.py"))]
    bodies = [(ref, name, body) for ref in references for name, body in function_bodies(ref)]
    assert len(bodies) > 50, "the scan should see the references' function bodies"
    files = [p for p in folder.rglob("*") if p.is_file()]
    texts = {p: " ".join(p.read_text(errors="replace").split()) for p in files}
    found = [
        f"{ref.relative_to(ROOT)}::{name} in {path.relative_to(folder)}"
        for ref, name, body in bodies
        for path, text in texts.items()
        if body in text
    ]
    # Mutants are known-wrong code (the naive baselines of evidence tests and hints look like
    # them, on purpose): none of their files may be shipped.
    mutants = {" ".join(m.read_text().split()) for m in (ROOT / "tests" / "mutants").rglob("*.py")}
    found += [f"a mutant: {p.relative_to(folder)}" for p, text in texts.items() if text in mutants]
    for path in (p for p in files if p.suffix == ".py"):
        tree = ast.parse(path.read_text())
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        if {m for m in imported if m.split(".")[0] in ("solutions", "tests") or "authoring" in m}:
            found.append(f"imports reference code: {path.relative_to(folder)}")
    return found


def test_the_template_holds_no_reference_code(template, tmp_path):
    assert not (template / "solutions").exists() and not (template / "tests").exists()
    assert not (template / "dojo" / "authoring").exists()
    leaks = reference_code_in(template)
    assert not leaks, "reference code in the template:\n" + "\n".join(leaks[:20])
    # The scan finds what it looks for: one reference function pasted into a lesson.
    planted = shutil.copytree(template / "katas" / KATA, tmp_path / "planted")
    source = REFERENCE.read_text()
    node = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == "buy")
    with open(planted / "README.md", "a") as f:
        f.write("\n```python\n" + ast.get_source_segment(source, node) + "\n```\n")
    assert [leak for leak in reference_code_in(planted) if "::buy in README.md" in leak]


def test_the_template_holds_everything_a_student_needs(template):
    for kata in (k for k in load_catalog(ROOT) if k.available):
        for name in ("README.md", ".hints.md", f"{kata.module}.py", f"test_{kata.module}.py"):
            if (kata.folder_path / name).exists():
                assert (template / "katas" / kata.folder / name).read_text() == (kata.folder_path / name).read_text()
    for name in ("pyproject.toml", "conftest.py", "katas/catalog.toml", "README.md", "dojo/harness/plugin.py"):
        assert (template / name).is_file(), name
    devcontainer = json.loads((template / ".devcontainer" / "devcontainer.json").read_text())
    assert all((template / p).is_file() for p in devcontainer["customizations"]["codespaces"]["openFiles"])
    workflow = (template / ".github" / "workflows" / "classroom.yml").read_text()
    assert 'repository: "acme/katas-2025"' in workflow and "--impl student/katas" in workflow


def test_exporting_a_solved_kata_is_refused(tmp_path):
    project = copy_project(tmp_path / "project")
    shutil.copy(REFERENCE, project / "katas" / KATA / "lock.py")
    done = dojo(project, "classroom", str(tmp_path / "out"), KATA, "--template-repo", "acme/k")
    assert done.returncode == 1 and "not the untouched stub" in done.stderr and "dojo reset 03" in done.stderr
    assert not (tmp_path / "out").exists()


# --- the template graded end to end, by its own workflow's steps ------------------------------------------


def workflow_runs(workflow: str) -> list[str]:
    """The `run:` commands of the workflow, in order."""
    return [m.group(1).strip() for m in re.finditer(r"(?m)^\s*(?:- )?run:\s*(.+)$", workflow)]


def run_workflow(template: Path, tmp: Path, student_modules: dict[str, str]) -> tuple[dict, dict]:
    """The workflow's steps after the install (that made this environment), run with what a runner
    step gets: the template checked out as the workspace, the student's repository in student/.
    (what the reporter shows, the step outputs)."""
    ws = tmp / "ws"
    shutil.copytree(template, ws)
    shutil.copytree(template, ws / "student")
    for rel, source in student_modules.items():
        (ws / "student" / rel).write_text(source)
    bindir = Path(sys.executable).parent
    if not (bindir / "dojo").exists():
        pytest.skip("the `dojo` console script is not installed next to this Python")
    output, summary, home = tmp / "github_output", tmp / "step_summary", tmp / "home"
    for path in (output, summary):
        path.touch()
    home.mkdir()
    workflow = (ws / ".github" / "workflows" / "classroom.yml").read_text()
    commands = workflow_runs(workflow)
    assert commands[0] == "python -m pip install -e ."
    for command in commands[1:]:
        env = {
            "PATH": f"{bindir}:/usr/bin:/bin",
            "HOME": str(home),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
        }
        done = subprocess.run(
            ["bash", "-e", "-c", command], cwd=ws, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode in (0, 1), f"{command}\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stdout + done.stderr
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    env = {
        m.group(1): outputs[m.group(2)]
        for m in re.finditer(r"(\S+_RESULTS): \"\$\{\{ steps\.dojo\.outputs\['([^']+)'\] \}\}\"", workflow)
    }
    runners = re.search(r"runners: (\S+)", workflow).group(1).split(",")
    view = reporter_view(runners, env)
    view["summary"] = summary.read_text()
    view["grade"] = json.loads((ws / "grade.json").read_text())
    return view, outputs


GRADED = (KATA, "13_n_plus_one")  # one Redis kata, one PostgreSQL kata: a whole grade in seconds


@pytest.fixture(scope="module")
def graded_template(tmp_path_factory) -> Path:
    """A template of two katas, to grade end to end (all of them take minutes; the scans above
    cover every kata)."""
    dest = tmp_path_factory.mktemp("graded") / "template"
    done = dojo(ROOT, "classroom", str(dest), *GRADED, "--template-repo", "acme/katas-2025")
    assert done.returncode == 0, done.stderr
    return dest


def graded_katas():
    return [k for k in load_catalog(ROOT) if k.folder in GRADED]


@pytest.mark.timeout(300)
def test_the_template_graded_end_to_end_gives_zero_on_the_stubs(graded_template, tmp_path):
    view, _outputs = run_workflow(graded_template, tmp_path, {})
    assert view["notice"] == "Points 0/20" and view["failed"], view
    assert view["lines"] and all(": 0.00/" in line for line in view["lines"])
    assert view["summary"].startswith("## Grade: 0/20 points")


@pytest.mark.timeout(300)
def test_the_template_graded_end_to_end_gives_every_point_to_the_references(graded_template, tmp_path):
    modules = {k.rel(k.stub): k.reference.read_text() for k in graded_katas()}
    view, _outputs = run_workflow(graded_template, tmp_path, modules)
    assert view["notice"] == "Points 20/20" and not view["failed"], view
    assert view["table_total"] == 20 and view["grade"]["status"] == "pass"


@pytest.mark.timeout(300)
def test_the_template_graded_end_to_end_shows_partial_points_the_same_everywhere(graded_template, tmp_path):
    modules = {k.rel(k.stub): k.reference.read_text() for k in graded_katas()}
    modules[f"katas/{KATA}/lock.py"] = with_bodies(REFERENCE.read_text(), "raise NotImplementedError", only={"extend"})
    view, _outputs = run_workflow(graded_template, tmp_path, modules)
    points = expected_points(callers_of("extend")) + 10
    assert view["notice"] == f"Points {points:g}/20", view
    logged = sum(float(line.split(": ")[1].split("/")[0]) for line in view["lines"])
    assert round(logged, 2) == points, f"the log shows {view['lines']}, the notice {view['notice']}"
    assert to_fixed_2(view["table_total"]) == f"{points:.2f}"
    assert f"## Grade: {points:g}/20 points" in view["summary"]
    assert view["grade"]["points"] == points
