"""Mistake: extend sets the expiry of whatever lock is there, owned or not.

Caught by: test_an_expired_holder_cannot_extend_the_new_owners_lock
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "03_lock/lock.py")


def extend(r, name, token, ttl_ms):
    return bool(r.pexpire(name, ttl_ms))
