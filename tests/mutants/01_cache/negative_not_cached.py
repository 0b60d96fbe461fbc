"""Mistake: a product that does not exist is not cached, so every read of a missing id hits the database.

Caught by: test_a_missing_product_is_cached_too
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "01_cache/cache.py")
_reference_fill = _fill  # noqa: F821 - from the reference


def _fill(r, product_id, token, value, ttl_s):
    if value is None:
        r.delete(_lease_key(product_id))  # noqa: F821
        return
    _reference_fill(r, product_id, token, value, ttl_s)
