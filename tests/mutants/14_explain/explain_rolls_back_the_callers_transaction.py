"""Mistake: explain ends with conn.rollback(), throwing away the caller's transaction (its work and locks), and commits on autocommit.

Caught by: test_explain_keeps_the_callers_uncommitted_work, test_explain_keeps_the_locks_the_caller_holds, test_explain_on_an_autocommit_connection_changes_nothing
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "14_explain/explain.py")


def explain(conn, sql, params=()):
    try:
        return conn.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params or None).fetchone()[0][0]["Plan"]
    finally:
        conn.rollback()
