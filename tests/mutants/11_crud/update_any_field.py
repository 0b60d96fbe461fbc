"""Mistake: update_user turns every keyword into a column (quoted, but never checked against email and name).

Caught by: test_update_user_refuses_other_fields_and_sends_nothing
"""

from psycopg import sql

from dojo.authoring.mutants import inherit

inherit(globals(), "11_crud/crud.py")


def update_user(conn, user_id, **fields):
    assignments = sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(k)) for k in fields)
    try:
        cur = conn.execute(
            sql.SQL("UPDATE users SET {} WHERE id = %s").format(assignments), [*fields.values(), user_id]
        )
    except Exception:
        conn.rollback()
        raise
    conn.commit()
    return cur.rowcount == 1
