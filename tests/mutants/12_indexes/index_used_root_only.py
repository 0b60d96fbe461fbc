"""Mistake: index_used looks at the root node only, missing indexes read below it (bitmap scans, subqueries).

Caught by: test_index_used_finds_an_index_read_below_a_bitmap_heap_scan, test_index_used_finds_an_index_read_deep_inside_a_subquery
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "12_indexes/indexes.py")


def index_used(conn, sql, params=()):
    with conn.transaction():
        plan = conn.execute("EXPLAIN (FORMAT JSON) " + sql, params or None).fetchone()[0][0]["Plan"]
    return plan.get("Index Name")
