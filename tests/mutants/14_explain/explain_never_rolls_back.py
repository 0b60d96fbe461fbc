"""Mistake: explain runs EXPLAIN ANALYZE as any other statement, so a DELETE really deletes.

Caught by: test_explaining_a_delete_changes_nothing, test_explaining_an_update_leaves_no_row_lock_behind
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "14_explain/explain.py")


def explain(conn, sql, params=()):
    return conn.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params or None).fetchone()[0][0]["Plan"]
