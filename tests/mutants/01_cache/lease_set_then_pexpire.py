"""Mistake: the loader's lock is taken with SET NX and given its expiry by a second command (PEXPIRE): a loader that dies in between leaves a lock that never expires, and every later reader waits on it.

Caught by: test_a_client_that_dies_between_any_two_steps_leaves_no_key_without_expiry
"""

import secrets

from dojo.authoring.mutants import inherit

inherit(globals(), "01_cache/cache.py")


def _take_lease(r, product_id):
    token = secrets.token_hex(16)
    if not r.set(_lease_key(product_id), token, nx=True):  # noqa: F821 - from the reference
        return None
    r.pexpire(_lease_key(product_id), LEASE_MS)  # noqa: F821
    return token
