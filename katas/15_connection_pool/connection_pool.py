"""Kata 15 — connection pools: sizing, a writer and a reader pool, health checks, clean returns.

Fill in everything below; `pytest katas/15_connection_pool` tells you what is missing.
`write_dsn` and `read_dsn` are conninfo strings (the tests give two different databases, as a
primary and a replica would be). Pools are psycopg_pool.ConnectionPool objects.
"""

from __future__ import annotations

from typing import Any

from psycopg_pool import ConnectionPool


def pool_size(cores: int, spindles: int = 1) -> int:
    """The classic starting point for a pool's size: (cores × 2) + spindles."""
    raise NotImplementedError


class Pools:
    """A writer pool and a reader pool, each of at most pool_size(cores) connections.

    `writer` (on write_dsn) and `reader` (on read_dsn) are psycopg_pool.ConnectionPool objects,
    open once the constructor returns, each with a health check on checkout (a connection that
    died while it sat in the pool is replaced, never handed to a request) and a finite
    maximum lifetime. However many requests arrive at once, the server never sees more than
    pool_size(cores) connections from either pool. Usable as a context manager: `with Pools(...)
    as pools:` closes both pools at the end of the block.
    """

    writer: ConnectionPool
    reader: ConnectionPool

    def __init__(self, write_dsn: str, read_dsn: str, cores: int) -> None:
        raise NotImplementedError

    def read(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Run `sql` on a connection of the reader pool and return all its rows (tuples).

        Every connection goes back to its pool idle — not inside a transaction, and with no
        session setting left behind (a `set_config(..., false)` or `SET` made by this request is
        not seen by the next one) — also when the statement fails (its error propagates).
        """
        raise NotImplementedError

    def write(self, sql: str, params: tuple = ()) -> int:
        """Run `sql` on a connection of the writer pool, commit it, and return its rowcount.

        Same promise as read(): the connection goes back idle, not in a transaction, with no
        session setting left behind (`SET search_path = nowhere` in one request does not break the
        next), also when the statement fails (nothing is committed and the error propagates).
        Works through PgBouncer in transaction pooling mode too.
        """
        raise NotImplementedError

    def stats(self) -> dict[str, dict[str, Any]]:
        """{"reader": …, "writer": …}: each pool's get_stats() (counters keep growing between calls)."""
        raise NotImplementedError

    def close(self) -> None:
        """Close both pools: their connections to the servers end."""
        raise NotImplementedError

    def __enter__(self) -> Pools:
        raise NotImplementedError

    def __exit__(self, *exc: object) -> None:
        raise NotImplementedError
