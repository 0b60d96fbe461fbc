"""Run pytest on katas in a child process: stoppable, time-limited, its results read back."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import jsonfile
from ..catalog import PACKAGE_ROOT
from ..harness import recorder
from ..outcomes import FAILED, NOT_RUN, TestResult, kata_of_nodeid

POLL_S = 0.02
# Plugins a kata run never uses; not loading them halves the child's start-up time (a learner's
# save turns green sooner). Katas run in one process: no xdist; no async tests: no anyio.
SKIP_PLUGINS = ("-p", "no:xdist", "-p", "no:xdist.looponfail", "-p", "no:anyio", "-p", "no:cacheprovider")
# dojo shows each failure's teaching line (recorded with the results), never pytest's traceback:
# not formatting tracebacks makes a run of a half-done kata about twice as fast.
QUIET = ("-q", "--tb=no")


@dataclass
class ChildRun:
    """What one child pytest run did; `tests` maps node id → result, in run order."""

    returncode: int | None
    output: str
    collected: list[str] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    tests: dict[str, TestResult] = field(default_factory=dict)
    seconds: float = 0.0
    timed_out: bool = False
    cancelled: bool = False
    label: str | None = None
    pid: int | None = None

    def of_kata(self, folder: str) -> dict[str, TestResult]:
        return {n: t for n, t in self.tests.items() if (t.kata or kata_of_nodeid(n)) == folder}

    def errors_of(self, folder: str) -> list[str]:
        return [e["message"] for e in self.errors if f"katas/{folder}/" in e.get("error", "") or not e.get("error")]

    def outcomes(self) -> dict[str, str]:
        """Test function name → outcome; a parametrized test failed if any of its cases did."""
        out: dict[str, str] = {}
        for result in self.tests.values():
            if out.get(result.function) != FAILED:
                out[result.function] = result.outcome
        return out


def child_env(extra: dict[str, str] | None = None, base: dict[str, str] | None = None) -> dict[str, str]:
    """An environment (this process's, or `base`) without pytest's own variables, plus `extra`."""
    env = {k: v for k, v in (os.environ if base is None else base).items() if not k.startswith("PYTEST_")}
    env.update(extra or {})
    return env


def _stop(proc: subprocess.Popen, quick: bool = False) -> None:
    """Ctrl-C for the child's whole process group (its fixtures clean up), then SIGKILL if it does
    not finish; `quick` goes straight to SIGKILL (the caller cleans the servers up)."""
    steps = ((signal.SIGKILL, 5.0),) if quick else ((signal.SIGINT, 3.0), (signal.SIGKILL, 5.0))
    for sig, grace in steps:
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            break
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
    # The group may still hold grandchildren (a test's worker process): end them too.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def read_events(path: Path) -> list[dict]:
    """The complete JSON lines of a child's event log."""
    return _Tail(path).read()


def fold(
    events: list[dict], recorded: dict[str, TestResult], stopped: str, stopped_at: float | None = None
) -> tuple[list[str], list[dict], dict]:
    """Collected order, collection errors, and one result per collected test.

    A test's result comes from the recorded file, else from its streamed result; a test that
    started and never finished (the run was stopped, or it interrupted the run itself) failed with
    `stopped`, and ran from its start until `stopped_at` if given; the rest did not run.
    """
    collected: list[str] = []
    errors = [e for e in events if "error" in e]
    started: dict[str, float | None] = {}
    streamed: dict[str, TestResult] = {}
    for e in events:
        if "collected" in e:
            collected = list(e["collected"])
        elif "start" in e:
            started[e["start"]] = e.get("at")
        elif "result" in e:
            streamed[e["result"]] = TestResult.from_json(e["result"], e)
    tests: dict[str, TestResult] = {}
    for nodeid in collected or list(recorded) or list(streamed):
        result = recorded.get(nodeid) or streamed.get(nodeid)
        if result is None:
            result = TestResult(nodeid, outcome=NOT_RUN, kata=kata_of_nodeid(nodeid))
        if result.outcome == NOT_RUN and nodeid in started:  # it started and never finished
            result.outcome, result.message = FAILED, stopped
            began = started[nodeid]
            if stopped_at is not None and began is not None:
                result.duration_s = round(max(0.0, stopped_at - began), 4)
        tests[nodeid] = result
    return collected, errors, tests


def run(
    root: Path,
    targets: list[str],
    *,
    impl: str = "katas",
    extra: list[str] | None = None,
    env: dict[str, str] | None = None,
    base_env: dict[str, str] | None = None,
    timeout_s: float | None = None,
    record: bool = True,
    quiet: bool = True,
    cancel: threading.Event | None = None,
    quick_cancel: bool = False,
    on_event: Callable[[dict], None] | None = None,
) -> ChildRun:
    """`python -m pytest TARGETS --impl=IMPL` in its own process group.

    Stops it (Ctrl-C, then SIGKILL for the group) when `cancel` is set, after `timeout_s`, or
    when this process gets KeyboardInterrupt (re-raised); `quick_cancel` kills it at once on
    `cancel`, for servers the caller owns and cleans itself. `on_event` sees each event of the
    child (a test started, a test's result) as it happens. With `record`, the results are also
    merged into the project's .dojo/results.json, as a plain `pytest` run would. `quiet` leaves
    out tracebacks (dojo shows each failure's sentence); the tests of the tests keep them.
    """
    tmp = Path(tempfile.mkdtemp(prefix="dojo-run-"))
    record_to, log, out = tmp / "results.json", tmp / "events.jsonl", tmp / "output.txt"
    argv = [
        sys.executable,
        "-m",
        "pytest",
        *targets,
        f"--impl={impl}",
        f"--dojo-results={record_to}",
        "-p",
        "dojo.harness.childlog",
        *SKIP_PLUGINS,
        *(QUIET if quiet else ()),
        *(extra or []),
    ]
    started = time.monotonic()
    stopped_at = None  # wall-clock time the run was stopped early, if it was
    timed_out = cancelled = False
    try:
        with open(out, "wb") as sink:
            proc = subprocess.Popen(
                argv,
                cwd=root,
                env=child_env({**(env or {}), "DOJO_CHILD_LOG": str(log)}, base_env),
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            tail = _Tail(log) if on_event else None
            try:
                while proc.poll() is None:
                    if tail is not None:
                        for event in tail.read():
                            on_event(event)  # type: ignore[misc]
                    if cancel is not None and cancel.is_set():
                        cancelled, stopped_at = True, time.time()
                        break
                    if timeout_s is not None and time.monotonic() - started > timeout_s:
                        timed_out, stopped_at = True, time.time()
                        break
                    time.sleep(POLL_S)
                if tail is not None:
                    for event in tail.read():
                        on_event(event)  # type: ignore[misc]
            finally:
                _stop(proc, quick=cancelled and quick_cancel)
        seconds = time.monotonic() - started
        data, _problem = jsonfile.read(record_to)
        label = next(iter(data), None)
        recorded = recorder.load(record_to, label) if label else {}
        if timed_out:
            reason = f"timed out: the run was stopped after {timeout_s:g} s"
        elif cancelled:
            reason = "stopped before it finished"
        else:
            reason = (
                f"the test process ended during this test (exit code {proc.returncode}: os._exit, a crash or a kill), "
                "and the tests after it did not run"
            )
        collected, errors, tests = fold(read_events(log), recorded, reason, stopped_at)
        output = out.read_text(encoding="utf-8", errors="replace")
        if record and recorded and label:
            recorder.merge(root / recorder.DEFAULT_FILE, label, recorded.values())
        return ChildRun(
            proc.returncode, output, collected, errors, tests, seconds, timed_out, cancelled, label, proc.pid
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_pytest(
    targets: list[str],
    *,
    impl: str = "katas",
    extra: list[str] | None = None,
    env: dict[str, str] | None = None,
    timeout_s: float = 600,
    cwd: Path = PACKAGE_ROOT,
) -> ChildRun:
    """A child run for the tests of the tests: full tracebacks, nothing recorded, `env` as given."""
    base = dict(os.environ if env is None else env)
    base.pop("PYTEST_ADDOPTS", None)
    return run(cwd, targets, impl=impl, extra=extra, base_env=base, timeout_s=timeout_s, record=False, quiet=False)


class _Tail:
    """The complete lines appended to a file since the last read, parsed as JSON."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def read(self) -> list[dict]:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                chunk = f.read()
        except OSError:
            return []
        end = chunk.rfind(b"\n") + 1
        self.offset += end
        out = []
        for line in chunk[:end].splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out
