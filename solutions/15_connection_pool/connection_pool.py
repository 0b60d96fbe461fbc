"""Kata 15 — connection pools (reference): autocommit connections, explicit transactions, DISCARD ALL on return."""

from __future__ import annotations

from typing import Any

from psycopg import Connection
from psycopg_pool import ConnectionPool

MAX_LIFETIME_S = 30 * 60  # recycle connections: server-side memory and caches do not grow for ever


def pool_size(cores: int, spindles: int = 1) -> int:
    return cores * 2 + spindles


def _forget_the_session(conn: Connection) -> None:
    """The pool's reset hook: nothing a request SET (settings, role, temp tables, prepared plans) survives it."""
    conn.execute("DISCARD ALL")


def _pool(dsn: str, size: int, name: str) -> ConnectionPool:
    return ConnectionPool(
        dsn,
        name=name,
        min_size=1,
        max_size=size,
        # autocommit: a read never leaves a transaction open. No server-side prepared statements: DISCARD ALL
        # drops them behind psycopg's back, and PgBouncer's transaction pooling cannot keep them either.
        kwargs={"autocommit": True, "prepare_threshold": None},
        check=ConnectionPool.check_connection,
        reset=_forget_the_session,
        max_lifetime=MAX_LIFETIME_S,
        open=True,
    )


class Pools:
    writer: ConnectionPool
    reader: ConnectionPool

    def __init__(self, write_dsn: str, read_dsn: str, cores: int) -> None:
        size = pool_size(cores)
        self.writer = _pool(write_dsn, size, "writer")
        try:
            self.reader = _pool(read_dsn, size, "reader")
        except BaseException:
            self.writer.close()
            raise

    def read(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self.reader.connection() as conn:
            return conn.execute(sql, params or None).fetchall()

    def write(self, sql: str, params: tuple = ()) -> int:
        with self.writer.connection() as conn, conn.transaction():
            return conn.execute(sql, params or None).rowcount

    def stats(self) -> dict[str, dict[str, Any]]:
        return {"reader": self.reader.get_stats(), "writer": self.writer.get_stats()}

    def close(self) -> None:
        try:
            self.reader.close()
        finally:
            self.writer.close()

    def __enter__(self) -> Pools:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
