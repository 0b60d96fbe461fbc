"""Mistake: list_users starts the next page at created_at < the last created_at, skipping the rest of a tie.

Caught by: test_pages_have_no_duplicates_or_gaps_when_timestamps_tie_and_users_arrive
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
        return cur.execute(
            "SELECT id, email, name, created_at FROM users WHERE created_at < %s "
            "ORDER BY created_at DESC, id DESC LIMIT %s",
            (after[0], limit),
        ).fetchall()
