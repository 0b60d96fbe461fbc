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

from . import results

POLL_S = 0.02
# Plugins a kata run never uses; not loading them halves the child's start-up time (a learner's
# save turns green sooner). Katas run in one process: no xdist; no async tests: no anyio.
SKIP_PLUGINS = ("-p", "no:xdist", "-p", "no:xdist.looponfail", "-p", "no:anyio")
# dojo shows each failure's teaching line (recorded with the results), never pytest's traceback:
# not formatting tracebacks makes a run of a half-done kata about twice as fast.
QUIET = ("-q", "--tb=no")


@dataclass
class ChildRun:
    """What one child pytest run did; `tests` maps node id → the recorder's entry, in run order."""

    returncode: int | None
    output: str
    collected: list[str] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    tests: dict[str, dict] = field(default_factory=dict)
    seconds: float = 0.0
    timed_out: bool = False
    cancelled: bool = False
    label: str | None = None
    pid: int | None = None

    def of_kata(self, folder: str) -> dict[str, dict]:
        prefix = f"katas/{folder}/"
        return {n: t for n, t in self.tests.items() if t.get("kata") == folder or n.startswith(prefix)}

    def errors_of(self, folder: str) -> list[str]:
        return [e["message"] for e in self.errors if f"katas/{folder}/" in e.get("error", "") or not e.get("error")]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for t in self.tests.values():
            out[t["outcome"]] = out.get(t["outcome"], 0) + 1
        return out


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without pytest's own variables, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(extra or {})
    return env


def _stop(proc: subprocess.Popen, quick: bool = False) -> None:
    """Ctrl-C for the child's whole process group (its fixtures clean up), then SIGKILL if it does
    not finish; `quick` goes straight to SIGKILL (the caller cleans the servers up)."""
    steps = ((signal.SIGKILL, 5.0),) if quick else ((signal.SIGINT, 3.0), (signal.SIGKILL, 5.0))
    for sig, grace in steps:
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
    # The group may still hold grandchildren (a test's worker process): end them too.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _events(path: Path) -> list[dict]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def _fold(events: list[dict], recorded: dict[str, dict], stopped: str) -> tuple[list[str], list[dict], dict]:
    """Collected order, collection errors, and per-test entries (from the recorder, else from the events)."""
    collected: list[str] = []
    errors = [e for e in events if "error" in e]
    started: list[str] = []
    reports: dict[str, dict] = {}
    for e in events:
        if "collected" in e:
            collected = list(e["collected"])
        elif "start" in e:
            started.append(e["start"])
        elif "report" in e:
            r = reports.setdefault(e["report"], {"outcome": "passed", "message": "", "done": False})
            if e["outcome"] == "failed" and r["outcome"] != "failed":
                r.update(outcome="failed", message=e.get("message", ""))
            elif e["outcome"] == "skipped" and r["outcome"] == "passed":
                r["outcome"] = "skipped"
            r["done"] = r["done"] or e.get("when") == "teardown" or e["outcome"] != "passed"
    tests: dict[str, dict] = {}
    for nodeid in collected or list(recorded):
        if nodeid in recorded:
            tests[nodeid] = recorded[nodeid]
            continue
        entry = {"outcome": "not run", "kata": _kata_of(nodeid), "level": None, "message": "", "evidence": []}
        report = reports.get(nodeid)
        if report and report["done"]:
            entry.update(outcome=report["outcome"], message=report["message"])
        elif nodeid in started:
            entry.update(outcome="failed", message=stopped)
        tests[nodeid] = entry
    return collected, errors, tests


def _kata_of(nodeid: str) -> str | None:
    parts = nodeid.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "katas" else None


def run(
    root: Path,
    targets: list[str],
    *,
    impl: str = "katas",
    extra: list[str] | None = None,
    env: dict[str, str] | None = None,
    timeout_s: float | None = None,
    record: bool = True,
    cancel: threading.Event | None = None,
    quick_cancel: bool = False,
    on_event: Callable[[dict], None] | None = None,
) -> ChildRun:
    """`python -m pytest TARGETS --impl=IMPL` in its own process group.

    Stops it (Ctrl-C, then SIGKILL for the group) when `cancel` is set, after `timeout_s`, or
    when this process gets KeyboardInterrupt (re-raised); `quick_cancel` kills it at once on
    `cancel`, for servers the caller owns and cleans itself. `on_event` sees each event of the
    child plugin (a test started, a test's outcome) as it happens. With `record`, the results are
    also merged into .dojo/results.json, as a plain `pytest` run would.
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
        "no:cacheprovider",
        "-p",
        "dojo.childplugin",
        *SKIP_PLUGINS,
        *QUIET,
        *(extra or []),
    ]
    started = time.monotonic()
    timed_out = cancelled = False
    try:
        with open(out, "wb") as sink:
            proc = subprocess.Popen(
                argv,
                cwd=root,
                env=child_env({**(env or {}), "DOJO_CHILD_LOG": str(log)}),
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
                        cancelled = True
                        break
                    if timeout_s is not None and time.monotonic() - started > timeout_s:
                        timed_out = True
                        break
                    time.sleep(POLL_S)
            finally:
                _stop(proc, quick=cancelled and quick_cancel)
        seconds = time.monotonic() - started
        data = results.load(record_to)
        label, recorded = next(iter(data.items()), (None, {}))
        reason = f"timed out: the run was stopped after {timeout_s:g} s" if timed_out else "stopped before it finished"
        collected, errors, tests = _fold(_events(log), recorded, reason)
        output = out.read_text(encoding="utf-8", errors="replace")
        if record and recorded and label:
            merge(root, label, recorded)
        return ChildRun(
            proc.returncode, output, collected, errors, tests, seconds, timed_out, cancelled, label, proc.pid
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


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


def merge(root: Path, label: str, entries: dict[str, dict]) -> None:
    """Add a run's entries to the project's .dojo/results.json (what `dojo list` reads)."""
    recorder = results.Recorder(root / results.DEFAULT_FILE, label)
    recorder.tests = {n: {k: v for k, v in e.items() if k != "when"} for n, e in entries.items()}
    try:
        recorder.write()
    except OSError:
        pass
