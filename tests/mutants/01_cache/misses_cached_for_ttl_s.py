"""Mistake: a miss is cached as long as a product (ttl_s), so a product created later stays invisible.

Caught by: test_a_cached_miss_expires_within_60_s
"""

import json

from dojo.authoring.mutants import inherit

inherit(globals(), "01_cache/cache.py")


def _fill(r, product_id, token, value, ttl_s):
    r.eval(FILL, 2, _key(product_id), _lease_key(product_id), token, json.dumps(value), int(ttl_s * 1000))  # noqa: F821
