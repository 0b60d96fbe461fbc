"""Mistake: create_indexes never commits, so the indexes vanish when the caller's transaction ends.

Caught by: test_create_indexes_commits_at_most_five_indexes, test_q1_orders_of_a_customer_come_from_an_index
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "12_indexes/indexes.py")


def create_indexes(conn):
    for statement in INDEXES:  # noqa: F821 - from the reference
        conn.execute(statement)
