"""Mistake: an index on email itself, which a query comparing lower(email) cannot use.

Caught by: test_q4_a_case_insensitive_email_lookup_uses_an_expression_index
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "12_indexes/indexes.py")

INDEXES = (
    "CREATE INDEX orders_customer_created_idx ON orders (customer_id, created_at)",
    "CREATE INDEX orders_pending_created_idx ON orders (created_at) WHERE status = 'pending'",
    "CREATE INDEX orders_email_idx ON orders (email)",
    "CREATE INDEX orders_customer_total_idx ON orders (customer_id) INCLUDE (total_cents)",
)
