"""Mistake: rename_users silently skips ids that do not exist instead of raising LookupError and renaming nobody.

Caught by: test_rename_users_with_an_unknown_id_renames_nobody
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "11_crud/crud.py")


def rename_users(conn, names):
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany("UPDATE users SET name = %s WHERE id = %s", [(n, i) for i, n in names.items()])
    conn.commit()
