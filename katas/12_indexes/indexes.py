"""Kata 12 — B-tree indexes on a table of 100,000 orders.

Fill in every function below; `pytest katas/12_indexes` tells you what is missing.
`conn` is a psycopg 3 Connection (autocommit off) to a database holding the given table, analysed:

    orders(id bigint primary key, customer_id int not null, status text not null,
           created_at timestamptz not null, total_cents int not null, email text not null)

about 100,000 rows, of which about 1% have status 'pending'.
"""

from __future__ import annotations


def create_indexes(conn) -> None:
    """Create at most five new indexes on `orders` (its primary key aside) and commit them.

    Afterwards each of these queries (`%s` are parameters) reads an index — an Index Scan, an
    Index Only Scan or a Bitmap Index Scan on orders — instead of scanning the whole table:

    Q1 `SELECT * FROM orders WHERE customer_id = %s`
    Q2 `SELECT * FROM orders WHERE customer_id = %s AND created_at >= %s ORDER BY created_at DESC LIMIT 20`
       — with no Sort node in its plan;
    Q3 `SELECT id FROM orders WHERE status = 'pending' AND created_at < %s`
       — from a partial index smaller than a tenth of the same index built over every row;
    Q4 `SELECT * FROM orders WHERE lower(email) = lower(%s)`;
    Q5 `SELECT customer_id, sum(total_cents) FROM orders WHERE customer_id = %s GROUP BY 1`
       — an Index Only Scan (the tests VACUUM the table first).

    The tests also count the buffers Q1 and Q2 touch: at least 10× fewer than without your indexes.
    If create_indexes dies half-way (its connection lost right after its second CREATE), running it
    again on a new connection must succeed and give the same result.
    """
    raise NotImplementedError


def index_used(conn, sql: str, params=()) -> str | None:
    """The name of an index that the plan of `sql` reads, anywhere in the plan tree; None if it reads none.

    `params` are the query's parameters (`%s` placeholders), sent as parameters, never pasted into
    the text. If the plan reads several indexes, any one of them is a right answer.
    """
    raise NotImplementedError


def unused_indexes(conn) -> list[str]:
    """Names of the indexes of the current database (every schema, system catalogs aside) with no
    scans since statistics began — leaving out the indexes that back primary keys and unique
    constraints. Any order; a name may carry its schema ("archive.orders_2023_by_customer") or not.

    Scans made by every session count, also those made since an earlier call in the same
    transaction.
    """
    raise NotImplementedError
