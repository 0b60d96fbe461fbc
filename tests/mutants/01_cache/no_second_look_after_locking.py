"""Mistake: a reader that wins the lock loads without looking in the cache again, reloading what was just filled.

Caught by: test_20_concurrent_cold_readers_cause_exactly_one_load
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "01_cache/cache.py")


def _load_and_fill(r, product_id, load, token, ttl_s):
    try:
        value = load(product_id)
    except BaseException:
        r.eval(DROP, 1, _lease_key(product_id), token)  # noqa: F821 - from the reference
        raise
    _fill(r, product_id, token, value, ttl_s)  # noqa: F821
    return value
