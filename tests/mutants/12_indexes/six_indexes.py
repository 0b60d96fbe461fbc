"""Mistake: one index per query, plus one on status "just in case" — six indexes every INSERT must maintain.

Caught by: test_create_indexes_commits_at_most_five_indexes
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "12_indexes/indexes.py")

INDEXES = INDEXES + (  # noqa: F821 - from the reference
    "CREATE INDEX orders_customer_idx ON orders (customer_id)",
    "CREATE INDEX orders_status_idx ON orders (status)",
)
