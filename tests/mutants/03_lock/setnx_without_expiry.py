"""Mistake: the lock is taken with SETNX and no expiry, so a crashed holder blocks everyone forever.

Caught by: test_a_crashed_holders_lock_frees_itself
"""

import secrets

from dojo.authoring.mutants import inherit

inherit(globals(), "03_lock/lock.py")


def acquire(r, name, ttl_ms):
    token = secrets.token_hex(16)
    return token if r.setnx(name, token) else None
