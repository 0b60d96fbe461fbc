"""Servers kept warm: `dojo up` / `down` / `status`, and servers shared by the runs of one command.

`dojo up` starts the embedded servers detached and writes .dojo/servers.json, which every
pytest run (the plugin) reads: while those servers live, tests use them instead of starting
their own. `warm()` does the same for the length of one command (`watch`, `grade`, `bench`…):
servers started once, children pointed at them by KATAS_SERVICES=url and the URLs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DojoError
from ..services import ENV_URL, REPLICA, SERVICES, embedded, embedded_postgres, process, resident
from ..services.errors import THREE_WAYS, ServiceUnavailable

STOP_SIGNAL = {"redis": signal.SIGTERM, "postgres": signal.SIGINT}  # SIGINT: PostgreSQL's fast shutdown
PROCESS_NAME = {"redis": "redis", "postgres": "postgres"}
STARTERS = {"redis": embedded.start_redis, "postgres": embedded_postgres.start_postgres}


def _is_server(pid: int, service: str) -> bool:
    """The pid still belongs to the server we recorded (not a reused pid)."""
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.parent.exists():
        return process.alive(pid)  # no /proc (macOS): trust the pid
    try:
        return PROCESS_NAME[service] in cmdline.read_bytes().decode(errors="replace")
    except OSError:
        return False


@dataclass
class ServerState:
    service: str
    url: str
    pid: int
    running: bool
    since: float | None = None
    workdir: str | None = None


def status(root: Path) -> list[ServerState]:
    """The servers `dojo up` recorded, and whether each still runs."""
    out = []
    for service, entry in resident.entries(root).items():
        pid = int(entry.get("pid", -1))
        running = pid > 0 and process.alive(pid) and _is_server(pid, service)
        out.append(
            ServerState(service, str(entry.get("url", "")), pid, running, entry.get("started"), entry.get("workdir"))
        )
    return out


def up(root: Path, services: tuple[str, ...] = SERVICES) -> tuple[list[ServerState], list[str]]:
    """Start (detached) each embedded server not already up; (servers, names of those started now).

    What started is recorded even when a later server fails to start, so `dojo down` stops it.
    """
    current = {s.service: s for s in status(root) if s.running}
    available = embedded.available()
    missing = [s for s in services if s not in current and not available[s]]
    if missing:
        raise DojoError(f"No embedded {' or '.join(missing)} binary on this machine. {THREE_WAYS}")
    entries = {s.service: _entry(s) for s in current.values()}
    started: list[str] = []
    try:
        for service in services:
            if service in current:
                continue
            server = STARTERS[service](detached=True)
            entries[service] = {
                "url": server.url,
                "pid": server.proc.pid,
                "workdir": str(server.workdir),
                "started": time.time(),
            }
            started.append(service)
    except ServiceUnavailable as exc:
        kept = f" ({', '.join(started)} started and kept up: `dojo down` stops it)" if started else ""
        raise DojoError(f"{exc}{kept}") from None
    finally:
        resident.write(root, entries)
    return status(root), started


def _entry(s: ServerState) -> dict:
    return {"url": s.url, "pid": s.pid, "workdir": s.workdir, "started": s.since}


def down(root: Path) -> list[ServerState]:
    """Stop every server `dojo up` started; forget them. Returns those that were running."""
    stopped = []
    for s in status(root):
        if s.running:
            process.stop_pid(s.pid, STOP_SIGNAL.get(s.service, signal.SIGTERM))
            stopped.append(s)
        if s.workdir and Path(s.workdir).name.startswith("katas-"):
            shutil.rmtree(s.workdir, ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        resident.state_file(root).unlink()
    return stopped


# --- servers for the length of one command ---------------------------------------------------------


@dataclass
class Warm:
    """Servers for a command's child runs: `env` points the children at them."""

    env: dict[str, str] = field(default_factory=dict)
    owned: dict[str, embedded.EmbeddedServer] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def clean_after_stopped_run(self, child_pid: int | None) -> None:
        """A run we killed may leave keys behind: empty the Redis we own (nobody else uses it),
        and drop the databases the killed run created on our PostgreSQL."""
        if "redis" in self.owned:
            with contextlib.suppress(Exception):
                import redis

                client = redis.Redis.from_url(self.owned["redis"].url)
                client.flushall()
                client.close()
        if "postgres" in self.owned and child_pid:
            from ..services.pg_admin import Admin
            from ..services.pg_isolation import drop_run

            with contextlib.suppress(Exception):
                admin = Admin(self.owned["postgres"].url)
                try:
                    drop_run(admin, child_pid)
                finally:
                    admin.close()

    def close(self) -> None:
        for service in sorted(self.owned, key=lambda s: s != REPLICA):  # the replica before its primary
            self.owned[service].stop()
        self.owned.clear()


@contextlib.contextmanager
def warm(root: Path, services: set[str]) -> Iterator[Warm]:
    """Servers shared by every child run of one command, stopped when it ends (also on Ctrl-C).

    Servers named by the user (KATAS_SERVICES, KATAS_*_URL) or kept up by `dojo up` are used
    as they are; otherwise the embedded ones are started once here. Where none is available,
    the children find their own (Docker, …) as a plain pytest run would.
    """
    w = Warm()
    try:
        if os.environ.get("KATAS_SERVICES") or any(os.environ.get(ENV_URL[s]) for s in SERVICES):
            yield w
            return
        kept = resident.read(root)
        available = embedded.available()
        for service in sorted(services & set(SERVICES)):
            if service in kept:
                continue
            if not available[service]:
                continue
            try:
                server = STARTERS[service]()
            except ServiceUnavailable as exc:
                w.notes.append(str(exc))
                continue
            w.owned[service] = server
            w.env[ENV_URL[service]] = server.url
        if REPLICA in services and "postgres" in w.owned:  # a replica of the primary we own (kata 17)
            try:
                standby = embedded_postgres.start_standby(w.owned["postgres"].url)
            except ServiceUnavailable as exc:
                w.notes.append(str(exc))
            else:
                w.owned[REPLICA] = standby
                w.env[ENV_URL[REPLICA]] = standby.url
        yield w
    finally:
        w.close()
