"""Mistake: list_users writes the keyset condition as an OR, which the index cannot start from: deep pages scan past every newer row.

Caught by: test_a_page_deep_in_100k_users_reads_as_few_rows_as_the_first
"""

from psycopg.rows import dict_row

from dojo.authoring.mutants import inherit

inherit(globals(), "11_crud/crud.py")


def list_users(conn, limit, after=None):
    with conn.cursor(row_factory=dict_row) as cur:
        if after is None:
            return cur.execute(
                "SELECT id, email, name, created_at FROM users ORDER BY created_at DESC, id DESC LIMIT %s", (limit,)
            ).fetchall()
        created_at, user_id = after
        return cur.execute(
            "SELECT id, email, name, created_at FROM users WHERE created_at < %s OR (created_at = %s AND id < %s) "
            "ORDER BY created_at DESC, id DESC LIMIT %s",
            (created_at, created_at, user_id, limit),
        ).fetchall()
