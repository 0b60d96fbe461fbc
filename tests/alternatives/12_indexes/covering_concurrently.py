"""Kata 12 — another correct design: three indexes built CONCURRENTLY (writers are never blocked), one
composite covering index serving Q1, Q2 and Q5; plans searched as plain JSON; catalog functions for stats."""

from __future__ import annotations

import psycopg

INDEXES = (
    # Q1, Q2 (read forwards: DESC is in the index) and Q5 (total_cents rides along in the leaf pages)
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_recent ON orders (customer_id, created_at DESC) "
    "INCLUDE (total_cents)",
    # Q3 as an Index Only Scan: id is in the index
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_pending ON orders (created_at, id) WHERE status = 'pending'",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_email_ci ON orders (lower(email))",
)


def create_indexes(conn: psycopg.Connection) -> None:
    conn.commit()
    was = conn.autocommit
    conn.autocommit = True  # CREATE INDEX CONCURRENTLY cannot run inside a transaction block
    try:
        for statement in INDEXES:
            conn.execute(statement)
        conn.execute("ANALYZE orders")
    finally:
        conn.autocommit = was


def _index_names(value) -> list[str]:
    found, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "Index Name" in item:
                found.append(item["Index Name"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def index_used(conn: psycopg.Connection, sql: str, params=()) -> str | None:
    cur = conn.cursor()
    cur.execute("EXPLAIN (FORMAT JSON) " + sql, tuple(params) if params else None)
    names = _index_names(cur.fetchone()[0])
    return names[0] if names else None


def unused_indexes(conn: psycopg.Connection) -> list[str]:
    conn.execute("SELECT pg_stat_clear_snapshot()")
    rows = conn.execute(
        """
        SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)
        FROM pg_index i
        JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
          AND pg_stat_get_numscans(i.indexrelid) = 0
          AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype = 'u')
        """
    ).fetchall()
    return [name for (name,) in rows]
