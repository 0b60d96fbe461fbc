"""Start server processes that die with the test run, even when it is killed; stop them politely."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

PR_SET_PDEATHSIG = 1


def _load_prctl() -> Callable[..., int] | None:
    """libc's prctl, looked up once here: a child between fork and exec must not load libraries."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()


def _die_with_parent() -> None:
    """Pre-exec step (the only one): ask Linux to send SIGTERM to this child when its parent dies.

    It runs after Popen's own change of user (which would clear the death signal) and calls
    nothing but an already-resolved C function, as is safe in a child of a threaded process.
    """
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, signal.SIGTERM)


def _user_args(uid: int | None, gid: int | None) -> dict:
    if uid is None:
        return {}
    return {"user": uid, "group": gid, "extra_groups": []}


def spawn(
    argv: list[str],
    log: Path,
    *,
    uid: int | None = None,
    gid: int | None = None,
    env: dict[str, str] | None = None,
    detached: bool = False,
) -> subprocess.Popen:
    """Start `argv` in its own session (Ctrl-C is ours to handle), logging to `log`.

    On Linux the child gets SIGTERM if this process dies, so no server outlives an interrupted
    or killed test run. `detached=True` (for `dojo up`) leaves that out: the server then
    outlives this process, and whoever keeps it must stop it.
    """
    with open(log, "ab") as out:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=None if detached or _PRCTL is None else _die_with_parent,
            env=env,
            close_fds=True,
            **_user_args(uid, gid),
        )


def run_as(argv: list[str], *, uid: int | None, gid: int | None, timeout: float = 60) -> str:
    """Run a short command (such as initdb) as another user; return its output."""
    done = subprocess.run(
        argv,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=None if _PRCTL is None else _die_with_parent,
        **_user_args(uid, gid),
    )
    if done.returncode != 0:
        raise RuntimeError(f"{Path(argv[0]).name} failed: {(done.stderr or done.stdout).strip()}")
    return done.stdout


def alive(pid: int) -> bool:
    """The process exists and is not a zombie waiting for a parent that never reaps it."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc (macOS): the pid exists


def descendants(pid: int) -> set[int]:
    """Every process below `pid`, read from /proc (Linux; empty elsewhere)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - found
        found |= frontier
    return found


def stop_pid(pid: int, sig: int = signal.SIGTERM, grace_s: float = 10.0) -> None:
    """Stop a process by pid (ours or not): a polite signal, then SIGKILL after `grace_s`."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace_s
    while alive(pid) and time.monotonic() < deadline:
        try:  # reap it if it happens to be our own child
            os.waitpid(pid, os.WNOHANG)
        except (ChildProcessError, OSError):
            pass
        time.sleep(0.02)
    if alive(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, grace_s: float = 10.0) -> None:
    """Stop a server we started: a polite signal, then SIGKILL after `grace_s`."""
    if proc.poll() is None:
        stop_pid(proc.pid, sig, grace_s)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


PR_SET_CHILD_SUBREAPER = 36


def adopt_orphans() -> bool:
    """Make this process the one that inherits its descendants' orphans (Linux), so that a process
    the code under test started and abandoned can still be found, and ended, when the run ends."""
    if _PRCTL is None:
        return False
    return _PRCTL(PR_SET_CHILD_SUBREAPER, 1) == 0


def end_descendants(keep: set[int] = frozenset(), grace_s: float = 2.0) -> list[int]:
    """End every process below this one but `keep` (and their own children): SIGTERM, then SIGKILL.

    Returns the pids that were still running. Zombies left for us are reaped.
    """
    me = os.getpid()
    spared = set(keep)
    for pid in list(keep):
        spared |= descendants(pid)
    targets = [p for p in descendants(me) if p not in spared and alive(p)]
    for pid in targets:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace_s
    while any(alive(p) for p in targets) and time.monotonic() < deadline:
        reap()
        time.sleep(0.02)
    for pid in targets:
        if alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    reap()
    return targets


def reap() -> None:
    """Collect exited children we adopted (their exit status is nobody's business)."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
