"""Mistake: no index holds total_cents, so Q5 must visit the table for every row (no Index Only Scan).

Caught by: test_q5_totals_per_customer_come_from_an_index_only_scan
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "12_indexes/indexes.py")

INDEXES = (
    "CREATE INDEX orders_customer_created_idx ON orders (customer_id, created_at)",
    "CREATE INDEX orders_pending_created_idx ON orders (created_at) WHERE status = 'pending'",
    "CREATE INDEX orders_email_lower_idx ON orders (lower(email))",
)
