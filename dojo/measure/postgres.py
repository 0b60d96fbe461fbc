"""Evidence from PostgreSQL itself: statements the server ran in a database, and their time.

psycopg is imported lazily: a Redis-only kata never loads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from .timing import ServerTime

if TYPE_CHECKING:
    import psycopg


def statement_calls(conn: psycopg.Connection) -> int:
    """Top-level statements executed in the current database so far (pg_stat_statements)."""
    row = conn.execute(
        "SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
    ).fetchone()
    return int(row[0])


def postgres_server_time(conn: psycopg.Connection, query_prefix: str) -> ServerTime:
    """Executor time of this database's statements whose normalized text starts with `query_prefix`.

    From pg_stat_statements, e.g. postgres_server_time(conn, "UPDATE page_views").
    """
    row = conn.execute(
        "SELECT coalesce(sum(total_exec_time), 0) * 1000, coalesce(sum(calls), 0)::bigint FROM pg_stat_statements "
        "WHERE starts_with(query, %s) AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())",
        (query_prefix,),
    ).fetchone()
    return ServerTime(float(row[0]), int(row[1]))


@contextmanager
def count_statements(conn: psycopg.Connection) -> Iterator[list[int]]:
    """Statements the server ran in this database during the block (from any connection).

    Yields a one-element list filled in on exit: `with count_statements(c) as n: ...; n[0]`.
    The two probe queries are not counted.
    """
    result = [0]
    before = statement_calls(conn)
    yield result
    after = statement_calls(conn)
    result[0] = after - before - 1


def flush_stats(conn: psycopg.Connection) -> None:
    """Publish this connection's statistics now (pg_stat_*), not within the next second or so.

    PostgreSQL 15+ reports a session's counters when it goes idle, at most once a second; this
    asks for the next report to happen at once. In an open transaction it happens when the
    transaction ends; on an idle connection it happens before this call returns.
    """
    from psycopg.pq import TransactionStatus

    idle = conn.info.transaction_status == TransactionStatus.IDLE
    conn.execute("SELECT pg_stat_force_next_flush()")
    if idle and not conn.autocommit:
        conn.commit()


def fresh_stats(conn: psycopg.Connection) -> None:
    """Let this connection's next read of pg_stat_* see the counters as they are now, not as cached."""
    conn.execute("SELECT pg_stat_clear_snapshot()")
