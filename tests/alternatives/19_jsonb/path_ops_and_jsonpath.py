"""Kata 19, written another way.

- Two GIN indexes, built CONCURRENTLY (outside a transaction): jsonb_path_ops, smaller and
  faster for @>, and the default jsonb_ops for ?.
- find_price_above with a SQL/JSON path and a variable: jsonpath compares numbers as numbers.
- set_field with nested jsonb_set calls, one per level, each making sure its parent object
  exists (works before PostgreSQL 14, which added subscripting); still one UPDATE.
- remove_field with #- and a one-key path; ids sorted in Python rather than by ORDER BY.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb


def create_indexes(conn: psycopg.Connection) -> None:
    conn.commit()
    conn.autocommit = True
    try:
        conn.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS products_doc_path ON products USING gin (doc jsonb_path_ops)"
        )
        conn.execute("CREATE INDEX CONCURRENTLY IF NOT EXISTS products_doc_keys ON products USING gin (doc)")
    finally:
        conn.autocommit = False


def _ids(cur: psycopg.Cursor) -> list[int]:
    return sorted(product_id for (product_id,) in cur)


def find_containing(conn: psycopg.Connection, attrs: dict) -> list[int]:
    return _ids(conn.execute("SELECT id FROM products WHERE doc @> %s::jsonb", (json.dumps(attrs),)))


def find_with_key(conn: psycopg.Connection, key: str) -> list[int]:
    return _ids(conn.execute("SELECT id FROM products WHERE doc ? %s::text", (key,)))


def find_price_above(conn: psycopg.Connection, amount: int | float | Decimal) -> list[int]:
    limit = Jsonb({"amount": amount if isinstance(amount, int) else float(amount)})
    query = "SELECT id FROM products WHERE jsonb_path_exists(doc, '$.price ? (@ > $amount)', %s)"
    return _ids(conn.execute(query, (limit,)))


def set_field(conn: psycopg.Connection, product_id: int, path: Sequence[str], value: Any) -> None:
    expression = sql.SQL("doc")
    for depth in range(1, len(path)):
        prefix = sql.Literal(list(path[:depth]))
        expression = sql.SQL("jsonb_set({e}, {p}::text[], coalesce(doc #> {p}::text[], '{{}}'))").format(
            e=expression, p=prefix
        )
    expression = sql.SQL("jsonb_set({e}, {p}::text[], {v})").format(
        e=expression, p=sql.Literal(list(path)), v=sql.Placeholder()
    )
    conn.execute(sql.SQL("UPDATE products SET doc = {} WHERE id = %s").format(expression), (Jsonb(value), product_id))
    conn.commit()


def remove_field(conn: psycopg.Connection, product_id: int, key: str) -> None:
    with conn.transaction():
        conn.execute("UPDATE products SET doc = doc #- %s::text[] WHERE id = %s", ([key], product_id))
