"""Mistake: explain returns the {"Plan": …, "Execution Time": …} wrapper instead of the root node.

Caught by: test_explain_returns_the_analyzed_root_node
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "14_explain/explain.py")


def explain(conn, sql, params=()):
    with conn.transaction(force_rollback=True):
        return conn.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params or None).fetchone()[0][0]
