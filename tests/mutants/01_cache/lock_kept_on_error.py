"""Mistake: when load raises, the loader's lock is not given back (no finally), so the next readers wait for nothing.

Caught by: test_a_failed_load_is_not_cached_and_does_not_block_the_next_reader
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "01_cache/cache.py")


def _load_and_fill(r, product_id, load, token, ttl_s):
    hit = _cached(r, product_id)  # noqa: F821 - from the reference
    if hit is not _MISS:  # noqa: F821
        r.eval(DROP, 1, _lease_key(product_id), token)  # noqa: F821
        return hit
    value = load(product_id)
    _fill(r, product_id, token, value, ttl_s)  # noqa: F821
    return value
