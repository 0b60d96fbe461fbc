"""Mistake: unused_indexes lists the indexes behind primary keys and unique constraints, which enforce them.

Caught by: test_unused_indexes_leaves_out_primary_keys_and_unique_constraints, test_unused_indexes_lists_exactly_the_indexes_never_scanned
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "12_indexes/indexes.py")


def unused_indexes(conn):
    conn.execute("SELECT pg_stat_clear_snapshot()")
    rows = conn.execute("SELECT indexrelid::regclass::text FROM pg_stat_user_indexes WHERE idx_scan = 0").fetchall()
    return [name for (name,) in rows]
