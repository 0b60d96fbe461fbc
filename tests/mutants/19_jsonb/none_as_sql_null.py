"""Mistake: None goes to jsonb_set as SQL NULL; jsonb_set is strict, so the whole document would become NULL.

Caught by: test_set_field_none_stores_json_null_and_never_a_null_document
"""

import json

from dojo.authoring.mutants import inherit

inherit(globals(), "19_jsonb/jsonb.py")


def set_field(conn, product_id, path, value):
    for depth in range(1, len(path)):  # (parents created one statement each: not the mistake shown here)
        conn.execute(
            "UPDATE products SET doc = jsonb_set(doc, %s::text[], coalesce(doc #> %s::text[], '{}')) WHERE id = %s",
            (list(path[:depth]), list(path[:depth]), product_id),
        )
    conn.execute(
        "UPDATE products SET doc = jsonb_set(doc, %s::text[], %s::jsonb) WHERE id = %s",
        (list(path), None if value is None else json.dumps(value), product_id),
    )
    conn.commit()
