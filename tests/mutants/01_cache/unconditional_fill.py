"""Mistake: a loader writes what it read unconditionally, after an update may have invalidated it (stale set).

Caught by: test_a_loader_that_read_before_the_update_cannot_cache_the_old_row, test_a_protected_loader_that_read_before_the_update_cannot_cache_the_old_row
"""

import json

from dojo.authoring.mutants import inherit

inherit(globals(), "01_cache/cache.py")


def _fill(r, product_id, token, value, ttl_s):
    ttl = ttl_s if value is not None else min(ttl_s, 60)
    r.set(_key(product_id), json.dumps(value), ex=ttl)  # noqa: F821 - from the reference
    r.delete(_lease_key(product_id))  # noqa: F821
