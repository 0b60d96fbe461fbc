"""Mistake: unused_indexes reads pg_stat_xact_user_indexes, this transaction's own scans, not every session's.

Caught by: test_scans_made_by_other_sessions_count
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "12_indexes/indexes.py")


def unused_indexes(conn):
    rows = conn.execute(
        """
        SELECT s.indexrelid::regclass::text FROM pg_stat_xact_user_indexes s
        WHERE s.idx_scan = 0
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = s.indexrelid AND c.contype IN ('p', 'u'))
        """
    ).fetchall()
    return [name for (name,) in rows]
