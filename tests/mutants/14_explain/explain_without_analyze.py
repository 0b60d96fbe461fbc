"""Mistake: plain EXPLAIN (no ANALYZE, BUFFERS): the plan's guesses, without what really happened.

Caught by: test_explain_returns_the_analyzed_root_node
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "14_explain/explain.py")


def explain(conn, sql, params=()):
    return conn.execute("EXPLAIN (FORMAT JSON) " + sql, params or None).fetchone()[0][0]["Plan"]
