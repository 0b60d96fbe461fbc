"""Mistake: unused_indexes looks only at the public schema, not at every schema of the database.

Caught by: test_unused_indexes_looks_in_every_schema_of_the_database
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "12_indexes/indexes.py")


def unused_indexes(conn):
    conn.execute("SELECT pg_stat_clear_snapshot()")
    rows = conn.execute(
        """
        SELECT s.indexrelname FROM pg_stat_user_indexes s
        WHERE s.idx_scan = 0 AND s.schemaname = 'public'
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = s.indexrelid AND c.contype IN ('p', 'u'))
        """
    ).fetchall()
    return [name for (name,) in rows]
