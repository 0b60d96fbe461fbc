"""Mistake: the path keys are pasted into the SQL text between quotes, so a key with a quote breaks the statement.

Caught by: test_set_field_takes_any_text_as_a_key
"""

from psycopg.types.json import Jsonb

from dojo.authoring.mutants import inherit

inherit(globals(), "19_jsonb/jsonb.py")


def set_field(conn, product_id, path, value):
    target = "".join(f"['{key}']" for key in path)
    conn.execute(f"UPDATE products SET doc{target} = %s WHERE id = %s", (Jsonb(value), product_id))  # noqa: S608
    conn.commit()
