"""Mistake: bulk_create_users does not roll back when the batch fails, leaving the connection in an aborted transaction.

Caught by: test_a_bulk_insert_with_one_duplicate_inserts_nothing
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "11_crud/crud.py")


def bulk_create_users(conn, rows):
    rows = list(rows)
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO users (email, name) VALUES (%s, %s)", rows)
    conn.commit()
    return len(rows)
