"""Mistake: customer_id alone is indexed, so Q2 fetches all of a customer's orders and sorts them to keep 20.

Caught by: test_q2_latest_orders_of_a_customer_come_from_an_index_without_a_sort, test_buffers_touched_fall_at_least_tenfold_for_q1_and_q2
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "12_indexes/indexes.py")

INDEXES = (
    "CREATE INDEX orders_pending_created_idx ON orders (created_at) WHERE status = 'pending'",
    "CREATE INDEX orders_email_lower_idx ON orders (lower(email))",
    "CREATE INDEX orders_customer_total_idx ON orders (customer_id) INCLUDE (total_cents)",
)
