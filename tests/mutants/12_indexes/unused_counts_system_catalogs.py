"""Mistake: unused_indexes reads pg_stat_all_indexes, so never-scanned system catalog indexes are listed too.

Caught by: test_unused_indexes_lists_exactly_the_indexes_never_scanned
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "12_indexes/indexes.py")


def unused_indexes(conn):
    conn.execute("SELECT pg_stat_clear_snapshot()")
    rows = conn.execute(
        """
        SELECT s.indexrelid::regclass::text FROM pg_stat_all_indexes s
        WHERE s.idx_scan = 0
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = s.indexrelid AND c.contype IN ('p', 'u'))
        """
    ).fetchall()
    return [name for (name,) in rows]
