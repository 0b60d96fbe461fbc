"""Mistake: a full index on (status, created_at) for Q3, where a partial index over the pending 1% would do.

Caught by: test_q3_old_pending_orders_come_from_a_small_partial_index
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "12_indexes/indexes.py")

INDEXES = (
    "CREATE INDEX orders_customer_created_idx ON orders (customer_id, created_at)",
    "CREATE INDEX orders_status_created_idx ON orders (status, created_at)",
    "CREATE INDEX orders_email_lower_idx ON orders (lower(email))",
    "CREATE INDEX orders_customer_total_idx ON orders (customer_id) INCLUDE (total_cents)",
)
