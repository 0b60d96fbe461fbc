"""Mistake: explain rolls back only statements starting with INSERT, UPDATE or DELETE — a DELETE inside a WITH slips through.

Caught by: test_a_delete_hidden_in_a_select_changes_nothing
"""

from contextlib import nullcontext

from dojo.authoring.mutants import inherit

inherit(globals(), "14_explain/explain.py")


def explain(conn, sql, params=()):
    writes = sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "MERGE"))
    with conn.transaction(force_rollback=True) if writes else nullcontext():
        plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params or None).fetchone()[0][0]["Plan"]
    if not writes:
        conn.commit()
    return plan
