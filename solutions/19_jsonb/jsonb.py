"""Kata 19 — JSONB (reference).

One GIN index (default jsonb_ops) serves both `@>` and `?`. Writes change the document inside
one UPDATE, so concurrent writers to other keys wait for the row lock and keep each other's work.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb


def create_indexes(conn: psycopg.Connection) -> None:
    conn.execute("CREATE INDEX IF NOT EXISTS products_doc_gin ON products USING gin (doc)")
    conn.commit()


def find_containing(conn: psycopg.Connection, attrs: dict) -> list[int]:
    rows = conn.execute("SELECT id FROM products WHERE doc @> %s ORDER BY id", (Jsonb(attrs),))
    return [product_id for (product_id,) in rows]


def find_with_key(conn: psycopg.Connection, key: str) -> list[int]:
    rows = conn.execute("SELECT id FROM products WHERE doc ? %s ORDER BY id", (key,))
    return [product_id for (product_id,) in rows]


def find_price_above(conn: psycopg.Connection, amount: int | float | Decimal) -> list[int]:
    rows = conn.execute("SELECT id FROM products WHERE (doc->>'price')::numeric > %s ORDER BY id", (amount,))
    return [product_id for (product_id,) in rows]


def set_field(conn: psycopg.Connection, product_id: int, path: Sequence[str], value: Any) -> None:
    """One UPDATE with jsonb subscripting (PostgreSQL 14+): missing parent objects are created."""
    target = sql.SQL("").join(sql.SQL("[{}]").format(sql.Literal(key)) for key in path)
    conn.execute(sql.SQL("UPDATE products SET doc{} = %s WHERE id = %s").format(target), (Jsonb(value), product_id))
    conn.commit()


def remove_field(conn: psycopg.Connection, product_id: int, key: str) -> None:
    conn.execute("UPDATE products SET doc = doc - %s::text WHERE id = %s", (key, product_id))
    conn.commit()
