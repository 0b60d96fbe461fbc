"""The plugin as a learner meets it: the module switch, stub messages, levels, timeouts."""

from __future__ import annotations

import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path

from dojo.harness import impl
from dojo.runs.child import run_pytest
from dojo.services import process

ROOT = Path(__file__).resolve().parent.parent
LOCK_TESTS = "katas/03_lock/test_lock.py"
CORE = ["-p", "no:xdist", "-k", "TestCore"]


class TestTheModuleSwitch:
    def test_a_directory_holding_the_module_directly(self, tmp_path, child_env):
        shutil.copy(ROOT / "solutions/03_lock/lock.py", tmp_path / "lock.py")
        run = run_pytest([LOCK_TESTS], impl=str(tmp_path), env=child_env, extra=CORE)
        assert run.returncode == 0, run.output[-1500:]

    def test_a_directory_laid_out_like_solutions(self, tmp_path, child_env):
        (tmp_path / "03_lock").mkdir()
        shutil.copy(ROOT / "solutions/03_lock/lock.py", tmp_path / "03_lock" / "lock.py")
        run = run_pytest([LOCK_TESTS], impl=str(tmp_path), env=child_env, extra=CORE)
        assert run.returncode == 0, run.output[-1500:]

    def test_the_environment_variable_does_the_same(self, child_env):
        argv = [
            sys.executable,
            "-m",
            "pytest",
            LOCK_TESTS,
            "-q",
            "-p",
            "no:cacheprovider",
            "--dojo-results=none",
            *CORE,
        ]
        done = subprocess.run(
            argv, cwd=ROOT, env={**child_env, "KATAS_IMPL": "solutions"}, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout[-1500:]

    def test_a_missing_directory_is_one_sentence(self, child_env):
        run = run_pytest([LOCK_TESTS], impl="/no/such/dir", env=child_env)
        assert run.returncode == 4
        assert "--impl=/no/such/dir: no such directory" in run.output and "Traceback" not in run.output

    def test_a_directory_without_the_module_is_one_sentence(self, tmp_path, child_env):
        run = run_pytest([LOCK_TESTS], impl=str(tmp_path), env=child_env)
        assert run.returncode != 0
        assert f"No lock.py for kata 03_lock in {tmp_path}" in run.output and "Traceback" not in run.output

    def test_a_syntax_error_names_the_file_and_line(self, tmp_path, child_env):
        (tmp_path / "lock.py").write_text("def acquire(r, name, ttl_ms)\n    pass\n")
        run = run_pytest([LOCK_TESTS], impl=str(tmp_path), env=child_env)
        assert run.returncode != 0
        assert f"{tmp_path / 'lock.py'} line 1" in run.output and "Traceback" not in run.output

    def test_the_module_is_a_real_module(self, tmp_path):
        (tmp_path / "kata_probe.py").write_text(
            "from __future__ import annotations\n"
            "from dataclasses import dataclass\n\n"
            "@dataclass\nclass Point:\n    x: int\n    y: int | None = None\n"
        )
        module = impl.load(tmp_path / "kata_probe.py", "kata_probe")
        try:
            assert sys.modules["kata_probe"] is module
            point = module.Point(1, 2)
            assert pickle.loads(pickle.dumps(point)) == point
            child = subprocess.run(
                [sys.executable, "-c", "import kata_probe; print(kata_probe.Point(3))"],
                env=impl.pythonpath_for(module),
                capture_output=True,
                text=True,
            )
            assert child.stdout.strip() == "Point(x=3, y=None)", child.stderr
        finally:
            sys.modules.pop("kata_probe", None)
            sys.path.remove(str(tmp_path))


class TestWhatALearnerSees:
    def test_an_untouched_stub_reports_one_line_per_test(self, child_env):
        run = run_pytest(
            [LOCK_TESTS], impl="katas", env=child_env, extra=["-p", "no:xdist", "-k", "test_acquire_returns"]
        )
        assert "not implemented yet: acquire() in katas/03_lock/lock.py" in run.output
        assert "Traceback" not in run.output and "raise NotImplementedError" not in run.output

    def test_one_level_can_be_run(self, child_env):
        run = run_pytest([LOCK_TESTS], impl="solutions", env=child_env, extra=["-p", "no:xdist", "--level", "1"])
        assert run.returncode == 0
        assert {t.level for t in run.tests.values()} == {1}

    def test_a_bad_level_is_one_sentence(self, child_env):
        run = run_pytest([LOCK_TESTS], env=child_env, extra=["--level", "7"])
        assert run.returncode == 4 and "use a level from 1 to 4" in run.output

    def test_hung_code_fails_its_test_and_the_run_goes_on(self, run_file):
        source = """
            import time

            def test_hangs():
                time.sleep(30)

            def test_runs_after_the_hang():
                pass
        """
        run = run_file(source, "-o", "timeout=1")
        assert run.outcomes() == {"test_hangs": "failed", "test_runs_after_the_hang": "passed"}
        assert "Timeout" in run.output

    def test_a_default_timeout_is_configured(self):
        text = (ROOT / "pyproject.toml").read_text()
        assert "\ntimeout = " in text

    def test_results_are_recorded_for_progress(self, child_env):
        run = run_pytest([LOCK_TESTS], impl="solutions", env=child_env, extra=["-p", "no:xdist", "--level", "4"])
        assert run.tests and all(t.kata == "03_lock" and t.passed for t in run.tests.values())
        assert any(t.evidence for t in run.tests.values()), "level-4 evidence was not recorded"


class TestThreadsLeftBehind:
    def test_a_test_that_leaks_a_thread_fails_itself_with_a_sentence_and_the_next_is_untouched(self, run_file):
        source = """
            import threading, time

            def test_leaks_a_writer(make_redis):
                client = make_redis()

                def keep_writing():
                    deadline = time.monotonic() + 4
                    while time.monotonic() < deadline:
                        client.incr("written-after-the-test")
                        time.sleep(0.01)

                threading.Thread(target=keep_writing, name="stray-writer", daemon=True).start()

            def test_the_next_test_sees_an_empty_database(r):
                time.sleep(0.3)
                assert r.dbsize() == 0, r.keys()
        """
        run = run_file(source)
        assert run.outcomes() == {
            "test_leaks_a_writer": "failed",
            "test_the_next_test_sees_an_empty_database": "passed",
        }, run.output[-3000:]
        message = run.tests[next(n for n in run.tests if n.endswith("test_leaks_a_writer"))].message
        assert "left 1 thread(s) running" in message and "stray-writer" in message, message


class TestWhatARunLeavesBehind:
    def test_processes_the_code_spawns_and_abandons_end_with_the_run(self, run_file, tmp_path):
        pids = tmp_path / "pids"
        source = f"""
            import os, subprocess, sys

            def test_spawns_and_forgets():
                # one in a session of its own, one orphaned by a parent that exits at once
                lone = subprocess.Popen(["sleep", "600"], start_new_session=True)
                parent = subprocess.Popen([sys.executable, "-c",
                    "import subprocess; p = subprocess.Popen(['sleep', '600'], stdout=subprocess.DEVNULL); print(p.pid)"],
                    stdout=subprocess.PIPE, text=True)
                orphan = int(parent.communicate()[0])
                open({str(pids)!r}, "w").write(f"{{lone.pid}} {{orphan}}")
        """
        run = run_file(source)
        assert run.outcomes() == {"test_spawns_and_forgets": "passed"}, run.output[-2000:]
        left = [int(p) for p in pids.read_text().split() if process.alive(int(p))]
        assert not left, f"processes the test spawned outlived the run: {left}"

    def test_a_thread_left_running_does_not_keep_the_run_from_ending(self, run_file):
        source = """
            import threading, time

            def test_starts_a_worker_and_forgets_it():
                threading.Thread(target=time.sleep, args=(600,), name="forgotten-worker").start()
        """
        started = time.monotonic()
        run = run_file(source)
        assert time.monotonic() - started < 30, "a non-daemon thread kept the run from ending"
        message = next(iter(run.tests.values())).message
        assert "forgotten-worker" in message, run.output[-2000:]

    def test_os_exit_in_the_code_names_the_test_it_happened_in(self, tmp_path, child_env):
        from dojo.runs.child import run

        (tmp_path / "lock.py").write_text(
            (ROOT / "solutions/03_lock/lock.py")
            .read_text()
            .replace(
                "def extend(r, name: str, token: str, ttl_ms: int) -> bool:\n",
                "def extend(r, name: str, token: str, ttl_ms: int) -> bool:\n    import os\n\n    os._exit(3)\n",
            )
        )
        done = run(ROOT, [LOCK_TESTS], impl=str(tmp_path), base_env=child_env, record=False, extra=["--level", "2"])
        ended = [t for t in done.tests.values() if "os._exit(3)" in t.message]
        assert [t.function for t in ended] == ["test_extend_pushes_the_expiry_for_the_owner"], done.output[-2000:]
        assert [t.outcome for t in done.tests.values()][-3:] == ["not run"] * 3
        assert done.returncode == 3


def test_the_tests_that_failed_last_time_can_run_first(child_env, tmp_path):
    """dojo watch runs first what failed before the save, so its verdict shows at once."""
    last = "katas/03_lock/test_lock.py::TestEvidence::test_the_lock_keeps_inventory_exact_where_no_lock_oversells"
    first = tmp_path / "first.txt"
    first.write_text(last + "\n")
    run = run_pytest([LOCK_TESTS], impl="solutions", env=child_env, extra=["-p", "no:xdist", f"--dojo-first={first}"])
    order = list(run.tests)
    assert order[0] == last and len(order) > 20, order[:3]


def test_a_failing_race_shows_how_the_clients_interleaved(tmp_path, child_env):
    shutil.copy(ROOT / "tests/mutants/03_lock/check_then_set.py", tmp_path / "lock.py")
    run = run_pytest([LOCK_TESTS], impl=str(tmp_path), env=child_env, extra=["-p", "no:xdist", "-k", "only_one"])
    story = run.output.split("how the clients interleaved (in the order the server answered):", 1)
    assert len(story) == 2, run.output[-2000:]
    lines = [ln.split() for ln in story[1].strip().splitlines()[:4]]
    assert len({ln[0] for ln in lines}) == 2, story[1][:600]
    assert [ln[1] for ln in lines] == ["EXISTS", "EXISTS", "SET", "SET"], (
        "both clients checked before either set: the race, step by step\n" + story[1][:600]
    )
    assert "more client(s)" in story[1]


def test_a_failure_outside_the_concurrency_level_shows_no_interleaving(tmp_path, child_env):
    shutil.copy(ROOT / "tests/mutants/03_lock/release_without_token_check.py", tmp_path / "lock.py")
    run = run_pytest([LOCK_TESTS], impl=str(tmp_path), env=child_env, extra=["-p", "no:xdist", "--level", "1-2"])
    assert "failed" in run.outcomes().values() and "how the clients interleaved" not in run.output


def test_a_missing_katas_impl_directory_is_named_as_katas_impl(child_env):
    done = subprocess.run(
        [sys.executable, "-m", "pytest", LOCK_TESTS, "-q", "-p", "no:cacheprovider", "--dojo-results=none"],
        cwd=ROOT,
        env={**child_env, "KATAS_IMPL": "/nope"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 4 and "KATAS_IMPL=/nope: no such directory" in done.stdout + done.stderr


def test_a_failed_assertion_is_recorded_as_its_sentence_alone(tmp_path, child_env):
    """What dojo next and watch show: the teaching sentence, not 'AssertionError:' nor pytest's introspection."""
    shutil.copy(ROOT / "tests/mutants/03_lock/release_without_token_check.py", tmp_path / "lock.py")
    run = run_pytest([LOCK_TESTS], impl=str(tmp_path), env=child_env, extra=["-p", "no:xdist", "--level", "1"])
    failed = [t.message for t in run.tests.values() if t.outcome == "failed"]
    assert failed and all(not m.startswith(("AssertionError", "assert ")) and "+ where" not in m for m in failed), (
        failed
    )
