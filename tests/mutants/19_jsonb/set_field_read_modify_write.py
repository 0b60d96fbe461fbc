"""Mistake: set_field reads the document into Python, changes it and writes it all back: lost updates.

Caught by: test_set_field_is_one_statement, test_two_concurrent_set_fields_on_different_keys_both_survive, test_a_set_field_that_waits_for_another_writer_keeps_that_writers_change
"""

from psycopg.types.json import Jsonb

from dojo.authoring.mutants import inherit

inherit(globals(), "19_jsonb/jsonb.py")


def set_field(conn, product_id, path, value):
    row = conn.execute("SELECT doc FROM products WHERE id = %s", (product_id,)).fetchone()
    if row is None:
        conn.commit()
        return
    doc = row[0]
    node = doc
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    conn.execute("UPDATE products SET doc = %s WHERE id = %s", (Jsonb(doc), product_id))
    conn.commit()
