"""Mistake: unused_indexes reads the statistics views without clearing the snapshot cached by an earlier read.

Caught by: test_a_second_look_in_the_same_transaction_sees_scans_made_since_the_first
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "12_indexes/indexes.py")


def unused_indexes(conn):
    rows = conn.execute(
        """
        SELECT s.indexrelid::regclass::text FROM pg_stat_user_indexes s
        WHERE s.idx_scan = 0
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = s.indexrelid AND c.contype IN ('p', 'u'))
        """
    ).fetchall()
    return [name for (name,) in rows]
