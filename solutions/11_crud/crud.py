"""Kata 11 — production CRUD (reference): parameters, explicit transactions, COPY, keyset pages, a pool."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

COLUMNS = "id, email, name, created_at"
EDITABLE = ("email", "name")


def create_user(conn, email: str, name: str) -> int:
    user_id = conn.execute("INSERT INTO users (email, name) VALUES (%s, %s) RETURNING id", (email, name)).fetchone()[0]
    conn.commit()
    return user_id


def get_user(conn, user_id: int) -> dict[str, Any] | None:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(f"SELECT {COLUMNS} FROM users WHERE id = %s", (user_id,)).fetchone()


def update_user(conn, user_id: int, **fields: str) -> bool:
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValueError(f"only {', '.join(EDITABLE)} may change, not {', '.join(sorted(unknown))}")
    if not fields:
        return get_user(conn, user_id) is not None
    assignments = sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(k)) for k in fields)
    cur = conn.execute(sql.SQL("UPDATE users SET {} WHERE id = %s").format(assignments), [*fields.values(), user_id])
    conn.commit()
    return cur.rowcount == 1


def delete_user(conn, user_id: int) -> bool:
    cur = conn.execute("DELETE FROM users WHERE id = %s", (user_id,))
    conn.commit()
    return cur.rowcount == 1


def bulk_create_users(conn, rows: Iterable[tuple[str, str]]) -> int:
    count = 0
    # transaction(): rolled back if COPY fails; the commit also ends a transaction a read left open.
    with conn.transaction(), conn.cursor() as cur, cur.copy("COPY users (email, name) FROM STDIN") as copy:
        for email, name in rows:
            copy.write_row((email, name))
            count += 1
    conn.commit()
    return count


def rename_users(conn, names: dict[int, str]) -> None:
    with conn.transaction(), conn.cursor() as cur:
        for user_id, name in names.items():
            cur.execute("UPDATE users SET name = %s WHERE id = %s", (name, user_id))
            if cur.rowcount == 0:
                raise LookupError(f"no user with id {user_id}: nothing was renamed")
    conn.commit()


def list_users(conn, limit: int, after: tuple[datetime, int] | None = None) -> list[dict[str, Any]]:
    order = "ORDER BY created_at DESC, id DESC LIMIT %s"
    with conn.cursor(row_factory=dict_row) as cur:
        if after is None:
            return cur.execute(f"SELECT {COLUMNS} FROM users {order}", (limit,)).fetchall()
        # A row comparison: the index on (created_at, id) starts right below the previous page's last row.
        query = f"SELECT {COLUMNS} FROM users WHERE (created_at, id) < (%s, %s) {order}"
        return cur.execute(query, (*after, limit)).fetchall()


def make_pool(dsn: str, size: int = 5) -> ConnectionPool:
    return ConnectionPool(dsn, min_size=size, max_size=size, open=True)
