"""Start server processes that die with the test run, even when it is killed."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1


def _libc_prctl_pdeathsig() -> None:
    """Ask Linux to send SIGTERM to this child when its parent dies."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def _preexec(uid: int | None, gid: int | None, die_with_parent: bool = True):
    def run() -> None:
        if gid is not None:
            os.setgroups([])
            os.setgid(gid)
        if uid is not None:
            os.setuid(uid)
        # After setuid: a change of user clears the death signal.
        if die_with_parent and sys.platform.startswith("linux"):
            _libc_prctl_pdeathsig()

    return run


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

    On Linux the child gets SIGTERM if this process dies, so no server outlives
    an interrupted or killed test run. `detached=True` (for `dojo up`) leaves that out:
    the server then outlives this process, and whoever keeps it must stop it.
    """
    with open(log, "ab") as out:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=None if os.name == "nt" else _preexec(uid, gid, not detached),
            env=env,
            close_fds=True,
        )


def run_as(argv: list[str], *, uid: int | None, gid: int | None, timeout: float = 60) -> str:
    """Run a short command (such as initdb) as another user; return its output."""
    done = subprocess.run(
        argv,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=None if os.name == "nt" else _preexec(uid, gid),
    )
    if done.returncode != 0:
        raise RuntimeError(f"{Path(argv[0]).name} failed: {(done.stderr or done.stdout).strip()}")
    return done.stdout


def alive(pid: int) -> bool:
    """The process exists and is not a zombie waiting for a parent that never reaps it."""
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


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, grace_s: float = 10.0) -> None:
    """Stop a server we started: a polite signal, then SIGKILL after `grace_s`."""
    if proc.poll() is not None:
        return
    try:
        proc.send_signal(sig)
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass
