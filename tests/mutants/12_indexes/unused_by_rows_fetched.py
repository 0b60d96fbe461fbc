"""Mistake: "unused" judged by idx_tup_fetch = 0, which bitmap and index-only scans leave at zero.

Caught by: test_an_index_read_only_by_bitmap_or_index_only_scans_is_used
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "12_indexes/indexes.py")


def unused_indexes(conn):
    conn.execute("SELECT pg_stat_clear_snapshot()")
    rows = conn.execute(
        """
        SELECT s.indexrelid::regclass::text FROM pg_stat_user_indexes s
        WHERE s.idx_tup_fetch = 0
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = s.indexrelid AND c.contype IN ('p', 'u'))
        """
    ).fetchall()
    return [name for (name,) in rows]
