"""Kata 12 — B-tree indexes (reference)."""

from __future__ import annotations

import psycopg

INDEXES = (
    # Q1 and Q2: the equality column first, then the range and sort column. Q1 reads its leading
    # column; Q2 walks one customer's entries backwards, newest first, and stops after 20.
    "CREATE INDEX orders_customer_created_idx ON orders (customer_id, created_at)",
    # Q3: only the ~1% pending rows are indexed.
    "CREATE INDEX orders_pending_created_idx ON orders (created_at) WHERE status = 'pending'",
    # Q4: the index stores lower(email), so the query must compare lower(email) too.
    "CREATE INDEX orders_email_lower_idx ON orders (lower(email))",
    # Q5: every column the query reads is in the index: no heap visit for all-visible pages.
    "CREATE INDEX orders_customer_total_idx ON orders (customer_id) INCLUDE (total_cents)",
)


def create_indexes(conn: psycopg.Connection) -> None:
    for statement in INDEXES:
        conn.execute(statement)
    conn.execute("ANALYZE orders")  # statistics for the lower(email) expression
    conn.commit()


def _nodes(node: dict) -> list[dict]:
    found = [node]
    for child in node.get("Plans", []):
        found += _nodes(child)
    return found


def index_used(conn: psycopg.Connection, sql: str, params=()) -> str | None:
    with conn.transaction():
        plan = conn.execute("EXPLAIN (FORMAT JSON) " + sql, params or None).fetchone()[0][0]["Plan"]
    return next((node["Index Name"] for node in _nodes(plan) if "Index Name" in node), None)


def unused_indexes(conn: psycopg.Connection) -> list[str]:
    conn.execute("SELECT pg_stat_clear_snapshot()")  # statistics read earlier in this transaction are cached
    rows = conn.execute(
        """
        SELECT s.indexrelid::regclass::text
        FROM pg_stat_user_indexes s
        WHERE s.idx_scan = 0
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = s.indexrelid AND c.contype IN ('p', 'u'))
        ORDER BY 1
        """
    ).fetchall()
    return [name for (name,) in rows]
