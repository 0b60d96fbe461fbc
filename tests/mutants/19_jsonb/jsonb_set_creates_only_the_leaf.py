"""Mistake: jsonb_set(doc, path, value, true) creates only the last key: with a parent missing it silently does nothing.

Caught by: test_set_field_creates_the_missing_objects_along_the_path
"""

from psycopg.types.json import Jsonb

from dojo.authoring.mutants import inherit

inherit(globals(), "19_jsonb/jsonb.py")


def set_field(conn, product_id, path, value):
    conn.execute(
        "UPDATE products SET doc = jsonb_set(doc, %s::text[], %s, true) WHERE id = %s",
        (list(path), Jsonb(value), product_id),
    )
    conn.commit()
