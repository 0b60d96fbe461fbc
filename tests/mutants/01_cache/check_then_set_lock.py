"""Mistake: the loader's lock is taken by checking EXISTS, then SET: every reader passes the check at once.

Caught by: test_20_concurrent_cold_readers_cause_exactly_one_load
"""

import secrets

from dojo.authoring.mutants import inherit

inherit(globals(), "01_cache/cache.py")


def _take_lease(r, product_id):
    if r.exists(_lease_key(product_id)):  # noqa: F821 - from the reference
        return None
    token = secrets.token_hex(16)
    r.set(_lease_key(product_id), token, px=LEASE_MS)  # noqa: F821
    return token
