"""Server settings: the one source for the embedded servers, the Docker provider and docker-compose.yml.

A test checks that docker-compose.yml passes PostgreSQL exactly these settings.
"""

from __future__ import annotations

REDIS_IMAGE = "redis:8.2.3-alpine"
POSTGRES_IMAGE = "postgres:18.1-alpine"

REDIS_ARGS = ["--save", "", "--appendonly", "no"]

# Fast and observable, never durable: these servers hold nothing worth keeping. A commit still
# waits for its WAL to be written (synchronous_commit, cheap without fsync), so the WAL position
# after a commit covers it, as on a production primary — read-after-write on a replica (kata 17)
# depends on it.
POSTGRES_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "on",
    "full_page_writes": "off",
    "max_connections": "300",
    "shared_preload_libraries": "pg_stat_statements",
    "pg_stat_statements.track": "top",
    "track_io_timing": "on",
    # A streaming replica (kata 17) needs WAL for replication and senders to stream it.
    "wal_level": "replica",
    "max_wal_senders": "10",
    "hot_standby": "on",
    # No hot_standby_feedback: an idle standby would report an old xmin and keep VACUUM from
    # setting the visibility map anywhere on the primary (no Index Only Scans for kata 12).
    "log_min_messages": "warning",
}

# Only for servers the harness starts itself, on this machine.
EMBEDDED_ONLY = {"listen_addresses": "127.0.0.1"}


def postgres_args() -> list[str]:
    """`-c key=value` pairs for the postgres command line."""
    args: list[str] = []
    for key, value in POSTGRES_SETTINGS.items():
        args += ["-c", f"{key}={value}"]
    return args
