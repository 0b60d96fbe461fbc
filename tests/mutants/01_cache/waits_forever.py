"""Mistake: a waiting reader ignores wait_s and polls until the value appears, hanging behind a stuck loader.

Caught by: test_waiting_for_another_loader_is_bounded_by_wait_s
"""

import time

from dojo.authoring.mutants import inherit

inherit(globals(), "01_cache/cache.py")


def get_product_protected(r, product_id, load, ttl_s=300, wait_s=5.0):
    while True:
        hit = _cached(r, product_id)  # noqa: F821 - from the reference
        if hit is not _MISS:  # noqa: F821
            return hit
        token = _take_lease(r, product_id)  # noqa: F821
        if token is not None:
            return _load_and_fill(r, product_id, load, token, ttl_s)  # noqa: F821
        time.sleep(0.01)
