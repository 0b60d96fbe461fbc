"""Mistake: the attrs' JSON is pasted into the SQL text: a quote in a value breaks the query (or worse).

Caught by: test_text_in_keys_and_values_is_data
"""

import json

from dojo.authoring.mutants import inherit

inherit(globals(), "19_jsonb/jsonb.py")


def find_containing(conn, attrs):
    rows = conn.execute(f"SELECT id FROM products WHERE doc @> '{json.dumps(attrs)}' ORDER BY id")  # noqa: S608
    return [product_id for (product_id,) in rows]
