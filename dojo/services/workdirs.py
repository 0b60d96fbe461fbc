"""Temp directories for the servers the harness starts, and the sweep of those left by killed runs.

Each directory holds `owner.pid`: the process whose life keeps it in use — the test run for a
server that dies with it, the server itself for one `dojo up` keeps running. A directory whose
owner is gone is removed by the next start.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

from . import process
from .errors import ServiceUnavailable

OWNER_FILE = "owner.pid"


def base_dir(shared: bool = False) -> Path:
    """Where servers' directories go; `shared`: reachable by another user (PostgreSQL as `nobody`).

    KATAS_TMPDIR wins. A private temp dir (mode 700, as many CI runners and sandboxes set TMPDIR)
    is out of another user's reach, so for `shared` the first of the temp dir, /tmp and /var/tmp
    that every user can traverse is used.
    """
    explicit = os.environ.get("KATAS_TMPDIR")
    if explicit:
        return Path(explicit)
    first = Path(tempfile.gettempdir())
    if not shared:
        return first
    for candidate in (first, Path("/tmp"), Path("/var/tmp")):
        if _traversable_by_all(candidate) and os.access(candidate, os.W_OK):
            return candidate
    raise ServiceUnavailable(
        f"PostgreSQL runs as an unprivileged user when you are root, and it cannot reach {first} "
        "(not traversable by other users): set KATAS_TMPDIR to a directory every user can traverse."
    )


def _traversable_by_all(path: Path) -> bool:
    try:
        resolved = path.resolve()
        return all(os.stat(p).st_mode & stat.S_IXOTH for p in [resolved, *resolved.parents])
    except OSError:
        return False


def claim(workdir: Path, pid: int) -> None:
    """Record `pid` as the process whose life keeps `workdir` in use."""
    (workdir / OWNER_FILE).write_text(str(pid))


def make(kind: str, shared: bool = False) -> Path:
    """A new directory for one server (owned by this process for now); stale ones are swept first."""
    base = base_dir(shared)
    sweep(base, kind)
    workdir = Path(tempfile.mkdtemp(prefix=f"katas-{kind}-", dir=base))
    claim(workdir, os.getpid())
    return workdir


def sweep(base: Path, kind: str) -> None:
    """Remove `katas-<kind>-*` directories whose owner process is gone."""
    for stale in base.glob(f"katas-{kind}-*"):
        try:
            owner = int((stale / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue  # being created right now, or not ours
        if not process.alive(owner):
            shutil.rmtree(stale, ignore_errors=True)
