"""Mistake: extend compares with GET, then sets the expiry with PEXPIRE: not atomic.

Caught by: test_extend_checks_and_expires_in_one_atomic_step
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "03_lock/lock.py")


def extend(r, name, token, ttl_ms):
    if r.get(name) != token:
        return False
    return bool(r.pexpire(name, ttl_ms))
