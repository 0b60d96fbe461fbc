"""Kata 19 — JSONB: documents with SQL guarantees.

Fill in every function below; `pytest katas/19_jsonb` tells you what is missing.
`conn` is a psycopg 3 Connection (autocommit off, default row factory) to a database holding
the given table, filled with about 20,000 product documents and analysed:

    products(id int PRIMARY KEY, doc jsonb NOT NULL)

A document looks like {"name": "Product 7", "category": "outdoor", "color": "red", "price": 12.5,
"tags": ["eco", "new"], "specs": {"size": "L", "weight_g": 309}, ...}; keys vary between documents.
A function that writes commits before it returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import psycopg


def create_indexes(conn: psycopg.Connection) -> None:
    """Create what makes both searches below use an index, not a scan of the whole table.

    Both `doc @> …` (find_containing) and `doc ? …` (find_with_key) must be able to use it:
    the tests read the plans and PostgreSQL's own scan counters.
    """
    raise NotImplementedError


def find_containing(conn: psycopg.Connection, attrs: dict) -> list[int]:
    """Ids of the products whose doc contains `attrs` (JSONB containment, `@>`), ascending.

    Nested objects and arrays count too: {"specs": {"size": "L"}} and {"tags": ["eco"]}.
    Values are data: any text in them is safe.
    """
    raise NotImplementedError


def find_with_key(conn: psycopg.Connection, key: str) -> list[int]:
    """Ids of the products whose doc has the top-level key `key` (`?`), whatever its value
    (JSON null included); a key that appears only inside a nested object does not count.
    Any order."""
    raise NotImplementedError


def find_price_above(conn: psycopg.Connection, amount: int | float | Decimal) -> list[int]:
    """Ids of the products whose doc->>'price' is greater than `amount`, compared as numbers
    (9 < 10, although '9' > '10' as text). Products without a price are left out. Any order."""
    raise NotImplementedError


def set_field(conn: psycopg.Connection, product_id: int, path: Sequence[str], value: Any) -> None:
    """Set the field at `path` (keys from the top, e.g. ["specs", "size"]) of one product's doc to
    `value` (any JSON-able Python value), in one SQL statement: no read-modify-write in Python.

    Missing objects along the path are created ({"shipping": {"box": {"width_cm": 30}}} from a doc
    without "shipping"); everything else in the document stays. `None` stores JSON null: the
    document itself never becomes SQL NULL. Keys are data (commas, braces, quotes are fine).
    Two set_fields on different keys of one document, at the same time, must both survive.
    """
    raise NotImplementedError


def remove_field(conn: psycopg.Connection, product_id: int, key: str) -> None:
    """Remove the top-level key `key` from one product's doc (nothing happens if it is not there);
    everything else stays, also what other writers change at the same time."""
    raise NotImplementedError
