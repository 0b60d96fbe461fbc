"""Mistake: the loader's lock is taken with SETNX and no expiry: if the loader dies, everyone waits on it forever.

Caught by: test_the_loaders_lock_expires_on_its_own
"""

import secrets

from dojo.authoring.mutants import inherit

inherit(globals(), "01_cache/cache.py")


def _take_lease(r, product_id):
    token = secrets.token_hex(16)
    return token if r.setnx(_lease_key(product_id), token) else None  # noqa: F821 - from the reference
