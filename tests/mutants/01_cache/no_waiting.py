"""Mistake: readers that lose the race for the lock load the product themselves instead of waiting.

Caught by: test_20_concurrent_cold_readers_cause_exactly_one_load
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "01_cache/cache.py")


def get_product_protected(r, product_id, load, ttl_s=300, wait_s=5.0):
    return get_product(r, product_id, load, ttl_s)  # noqa: F821 - the reference's unprotected read
