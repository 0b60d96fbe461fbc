"""Mistake: create_indexes commits after each CREATE INDEX without IF NOT EXISTS: a crash half-way leaves a deploy that cannot run again.

Caught by: test_create_indexes_that_died_half_way_can_simply_run_again
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "12_indexes/indexes.py")


def create_indexes(conn):
    for statement in INDEXES:  # noqa: F821 - from the reference
        conn.execute(statement)
        conn.commit()
    conn.execute("ANALYZE orders")
    conn.commit()
