"""Mistake: find_with_key tests doc->>key IS NOT NULL: JSON null reads as SQL NULL, and no index on doc serves it.

Caught by: test_find_with_key_counts_top_level_keys_only_json_null_included, test_the_searches_read_an_index_not_the_whole_table
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "19_jsonb/jsonb.py")


def find_with_key(conn, key):
    rows = conn.execute("SELECT id FROM products WHERE doc->>%s::text IS NOT NULL ORDER BY id", (key,))
    return [product_id for (product_id,) in rows]
