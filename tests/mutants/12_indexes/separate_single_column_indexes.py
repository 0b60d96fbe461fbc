"""Mistake: two single-column indexes (customer_id) and (created_at) instead of one composite index.

Caught by: test_buffers_touched_fall_at_least_tenfold_for_q1_and_q2
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "12_indexes/indexes.py")

INDEXES = (
    "CREATE INDEX orders_customer_idx ON orders (customer_id)",
    "CREATE INDEX orders_created_idx ON orders (created_at)",
    "CREATE INDEX orders_pending_created_idx ON orders (created_at) WHERE status = 'pending'",
    "CREATE INDEX orders_email_lower_idx ON orders (lower(email))",
    "CREATE INDEX orders_customer_total_idx ON orders (customer_id) INCLUDE (total_cents)",
)
