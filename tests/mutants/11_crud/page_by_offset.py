"""Mistake: list_users turns `after` into an OFFSET (counting the rows before it), so a deep page reads every row above it.

Caught by: test_a_page_deep_in_100k_users_reads_as_few_rows_as_the_first
"""

from psycopg.rows import dict_row

from dojo.authoring.mutants import inherit

inherit(globals(), "11_crud/crud.py")


def list_users(conn, limit, after=None):
    skip = 0
    if after is not None:
        skip = conn.execute("SELECT count(*) FROM users WHERE (created_at, id) >= (%s, %s)", after).fetchone()[0]
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT id, email, name, created_at FROM users ORDER BY created_at DESC, id DESC OFFSET %s LIMIT %s",
            (skip, limit),
        ).fetchall()
