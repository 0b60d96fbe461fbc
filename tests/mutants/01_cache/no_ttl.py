"""Mistake: products are cached without an expiry, so a missed invalidation serves stale data forever.

Caught by: test_every_cached_product_expires_within_ttl_s
"""

import json

from dojo.authoring.mutants import inherit

inherit(globals(), "01_cache/cache.py")


def _fill(r, product_id, token, value, ttl_s):
    if r.get(_lease_key(product_id)) == token:  # noqa: F821 - from the reference
        r.set(_key(product_id), json.dumps(value))  # noqa: F821
        r.delete(_lease_key(product_id))  # noqa: F821
