"""Mistake: acquire takes the lock with SET NX and gives it its TTL with a second command (PEXPIRE): a holder that dies in between leaves a lock that never expires.

Caught by: test_a_client_that_dies_between_any_two_steps_leaves_no_lock_without_expiry
"""

import secrets

from dojo.authoring.mutants import inherit

inherit(globals(), "03_lock/lock.py")


def acquire(r, name, ttl_ms):
    token = secrets.token_hex(16)
    if not r.set(name, token, nx=True):
        return None
    r.pexpire(name, ttl_ms)
    return token
