"""Mistake: remove_field reads the document, drops the key in Python and writes it all back.

Caught by: test_a_remove_field_that_waits_for_another_writer_keeps_that_writers_change
"""

from psycopg.types.json import Jsonb

from dojo.authoring.mutants import inherit

inherit(globals(), "19_jsonb/jsonb.py")


def remove_field(conn, product_id, key):
    row = conn.execute("SELECT doc FROM products WHERE id = %s", (product_id,)).fetchone()
    if row is not None:
        doc = {k: v for k, v in row[0].items() if k != key}
        conn.execute("UPDATE products SET doc = %s WHERE id = %s", (Jsonb(doc), product_id))
    conn.commit()
