"""Mistake: rename_users commits each rename as it goes, so an unknown id or a crash leaves the earlier renames in place.

Caught by: test_rename_users_with_an_unknown_id_renames_nobody, test_a_crash_part_way_through_rename_users_leaves_every_name
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "11_crud/crud.py")


def rename_users(conn, names):
    for user_id, name in names.items():
        cur = conn.execute("UPDATE users SET name = %s WHERE id = %s", (name, user_id))
        conn.commit()
        if cur.rowcount == 0:
            raise LookupError(f"no user with id {user_id}")
