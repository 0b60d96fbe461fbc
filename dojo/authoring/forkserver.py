"""Many short pytest runs without paying for Python and pytest to start each time: a fork server.

The tests of the tests run every mutant's named tests in a pytest run of its own, so that one
mutant's leftovers (a module global, a thread, a half-written key) can never decide another
mutant's outcome. A fresh `python -m pytest` per mutant costs ~0.7 s of start-up before the first
test runs. Here one server process imports pytest, redis, psycopg and the harness once, then forks
a child per run: the child has a pristine copy of that warm process, runs `pytest.main` with the
run's arguments against the servers named in its environment (warm servers in URL mode), and
exits. Each run is still a process of its own — isolation is exactly that of a subprocess.

    with ForkServer(env) as server:
        run = server.run(["katas/03_lock/test_lock.py"], impl=tmp_dir, extra=["-k", "test_x"])
        run.outcomes()  # {"test_x": "failed"}

POSIX only (os.fork); the server is single-threaded, so forking it is safe.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from .. import jsonfile
from ..catalog import PACKAGE_ROOT
from ..harness import recorder
from ..runs.child import SKIP_PLUGINS, ChildRun, fold, read_events

# Imported once by the server, shared by every forked run. Not the harness's pytest plugins: pytest
# rewrites their asserts when it loads them (and childlog reads DOJO_CHILD_LOG when imported).
PRELOAD = (
    "pytest",
    "_pytest.python",
    "_pytest.fixtures",
    "_pytest.runner",
    "redis",
    "psycopg",
    "psycopg_pool",
    "dojo.race",
    "dojo.measure",
)


class ForkServer:
    """A warm process that runs `pytest.main(args)` in a forked child per request."""

    def __init__(self, env: dict[str, str], cwd: Path = PACKAGE_ROOT) -> None:
        self.cwd = cwd
        base = {k: v for k, v in env.items() if not k.startswith("PYTEST_")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dojo.authoring.forkserver"],
            cwd=cwd,
            env=base,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        ready = self.proc.stdout.readline() if self.proc.stdout else ""
        if not ready.startswith("ready"):
            self.close()
            raise RuntimeError(f"the fork server did not start: {ready!r}")

    def run(
        self,
        targets: list[str],
        *,
        impl: str,
        extra: list[str] | None = None,
        env: dict[str, str] | None = None,
        timeout_s: float = 600,
    ) -> ChildRun:
        """What `dojo.runs.child.run_pytest` returns, from a forked child of the warm server (`env` is added)."""
        tmp = Path(tempfile.mkdtemp(prefix="dojo-fork-"))
        record_to, log, out = tmp / "results.json", tmp / "events.jsonl", tmp / "output.txt"
        args = [
            *targets,
            f"--impl={impl}",
            f"--dojo-results={record_to}",
            "-p",
            "dojo.harness.childlog",
            *SKIP_PLUGINS,
            *(extra or []),
        ]
        try:
            request = {
                "args": args,
                "env": {**(env or {}), "DOJO_CHILD_LOG": str(log)},
                "output": str(out),
                "timeout_s": timeout_s,
            }
            reply = self._ask(request)
            data, _problem = jsonfile.read(record_to)
            label = next(iter(data), None)
            recorded = recorder.load(record_to, label) if label else {}
            reason = f"timed out: the run was stopped after {timeout_s:g} s" if reply["timed_out"] else "stopped"
            collected, errors, tests = fold(read_events(log), recorded, reason)
            output = out.read_text(encoding="utf-8", errors="replace") if out.exists() else ""
            return ChildRun(
                reply["returncode"],
                output,
                collected,
                errors,
                tests,
                reply["seconds"],
                reply["timed_out"],
                False,
                label,
                reply["pid"],
            )
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the fork server died (exit code {self.proc.poll()})")
        return json.loads(line)

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                if self.proc.stdin:
                    self.proc.stdin.close()
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        for stream in (self.proc.stdout,):
            if stream:
                stream.close()

    def __enter__(self) -> ForkServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- the server side ----------------------------------------------------------------------------


def _child(request: dict[str, Any]) -> None:
    """In the forked child: a process group of its own, output to a file, then pytest.main."""
    os.setpgid(0, 0)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    sink = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(sink, 1)
    os.dup2(sink, 2)
    os.environ.update(request["env"])
    signal.signal(signal.SIGINT, signal.default_int_handler)
    code = 3
    try:
        import pytest

        code = int(pytest.main(list(request["args"])))
    except BaseException:  # noqa: BLE001 - reported through the exit code and the output file
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _wait(pid: int, timeout_s: float) -> tuple[int, bool]:
    """The child's exit code, and whether it had to be killed after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    pause = 0.001
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), False
        if time.monotonic() > deadline:
            for sig in (signal.SIGINT, signal.SIGKILL):
                try:
                    os.killpg(pid, sig)
                except ProcessLookupError:
                    break
                end = time.monotonic() + 3
                while time.monotonic() < end:
                    done, status = os.waitpid(pid, os.WNOHANG)
                    if done:
                        return os.waitstatus_to_exitcode(status), True
                    time.sleep(0.01)
            _, status = os.waitpid(pid, 0)
            return os.waitstatus_to_exitcode(status), True
        time.sleep(pause)
        pause = min(pause * 2, 0.01)


def serve(requests: IO[str], replies: IO[str]) -> None:
    """One request per line in, one reply per line out, until `requests` ends."""
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    replies.write("ready\n")
    replies.flush()
    while True:
        readable, _, _ = select.select([requests], [], [])
        line = requests.readline() if readable else ""
        if not line:
            return
        request = json.loads(line)
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            _child(request)
        try:
            os.setpgid(pid, pid)
        except (PermissionError, ProcessLookupError):
            pass  # the child already did it
        code, timed_out = _wait(pid, float(request.get("timeout_s", 600)))
        replies.write(
            json.dumps({"returncode": code, "timed_out": timed_out, "seconds": time.monotonic() - started, "pid": pid})
            + "\n"
        )
        replies.flush()


if __name__ == "__main__":
    serve(sys.stdin, sys.stdout)
