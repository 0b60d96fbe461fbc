"""Kata 11 — production CRUD: parameters, transactions, bulk inserts, keyset pages, a pool.

Fill in every function below; `pytest katas/11_crud` tells you what is missing.
`conn` is a psycopg 3 Connection (autocommit off, default row factory) to a database where the
tests created the table

    users(id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text UNIQUE NOT NULL,
          name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())

with an index on (created_at, id). A function that writes commits its work before it returns.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from psycopg_pool import ConnectionPool


def create_user(conn, email: str, name: str) -> int:
    """Insert a user and return the new id; committed before returning.

    Values travel as parameters, never inside the SQL text: a name such as
    `'); DROP TABLE users; --` is stored and read back exactly as given.
    """
    raise NotImplementedError


def get_user(conn, user_id: int) -> dict[str, Any] | None:
    """The user as a dict with the keys id, email, name and created_at (a datetime); None if there is none."""
    raise NotImplementedError


def update_user(conn, user_id: int, **fields: str) -> bool:
    """Change the user's `email` and/or `name`; committed. True if a user row was updated, False if there is no such user.

    Only `email` and `name` may change: any other field name (`id`, `created_at`, `is_admin`,
    `"name = 'x' --"`) raises ValueError before anything is sent to the server.
    """
    raise NotImplementedError


def delete_user(conn, user_id: int) -> bool:
    """Delete the user; committed. True if a row was deleted, False if there was none."""
    raise NotImplementedError


def bulk_create_users(conn, rows: Iterable[tuple[str, str]]) -> int:
    """Insert every (email, name) of `rows` and return how many were inserted.

    All or nothing, in one transaction: if any email already exists (or appears twice in
    `rows`), nothing is inserted and psycopg.errors.UniqueViolation propagates, leaving `conn`
    usable. A handful of round trips, not one per row: 10,000 rows take fewer than 100 round
    trips to the server and at most 5 transactions (COPY, or a pipelined executemany). Rows are
    never visible to other connections before the whole batch is committed.
    """
    raise NotImplementedError


def rename_users(conn, names: dict[int, str]) -> None:
    """Give each user id in `names` its new name: all renames or none.

    If any id does not exist, raise LookupError and change nothing (also the renames before it),
    leaving `conn` usable. A crash part-way (the connection dies) leaves every name as it was.
    """
    raise NotImplementedError


def list_users(conn, limit: int, after: tuple[datetime, int] | None = None) -> list[dict[str, Any]]:
    """One page of users, newest first: ordered by (created_at, id) descending, at most `limit` rows.

    `after` is the (created_at, id) of the previous page's last row; the page starts right
    after it (keyset pagination, no OFFSET). Rows are dicts with the keys of get_user. Paging
    through returns every row exactly once when many users share a created_at and new users
    arrive between pages, and a page deep in the table reads about as few rows as the first
    page (through the index on (created_at, id)).
    """
    raise NotImplementedError


def make_pool(dsn: str, size: int = 5) -> ConnectionPool:
    """An open psycopg_pool.ConnectionPool on `dsn` of exactly `size` connections.

    `size` requests can hold a connection at once, the next one waits; however many requests
    arrive at once, the server never sees more than `size` connections from it.
    """
    raise NotImplementedError
