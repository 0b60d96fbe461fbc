"""Mistake: no ORDER BY: a bitmap scan returns ids in the order the rows are stored, not ascending.

Caught by: test_find_containing_returns_the_matching_ids_ascending
"""

from psycopg.types.json import Jsonb

from dojo.authoring.mutants import inherit

inherit(globals(), "19_jsonb/jsonb.py")


def find_containing(conn, attrs):
    return [product_id for (product_id,) in conn.execute("SELECT id FROM products WHERE doc @> %s", (Jsonb(attrs),))]
