"""Mistake: connections never expire (max_lifetime infinite), so server-side memory and stale settings are never recycled.

Caught by: test_pools_are_open_capped_at_pool_size_and_recycled
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "15_connection_pool/connection_pool.py")

MAX_LIFETIME_S = float("inf")
