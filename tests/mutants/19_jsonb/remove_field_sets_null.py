"""Mistake: remove_field sets the key to JSON null instead of removing it: the key is still there (? still finds it).

Caught by: test_remove_field_removes_a_top_level_key_and_commits
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "19_jsonb/jsonb.py")


def remove_field(conn, product_id, key):
    conn.execute("UPDATE products SET doc = jsonb_set(doc, ARRAY[%s::text], 'null') WHERE id = %s", (key, product_id))
    conn.commit()
