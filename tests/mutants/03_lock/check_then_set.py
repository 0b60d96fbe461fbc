"""Mistake: acquire checks whether the key exists, then sets it: two steps, and a gap between them.

Caught by: test_only_one_of_20_concurrent_clients_gets_the_lock
"""

import secrets

from dojo.authoring.mutants import inherit

inherit(globals(), "03_lock/lock.py")


def acquire(r, name, ttl_ms):
    if r.exists(name):
        return None
    token = secrets.token_hex(16)
    r.set(name, token, px=ttl_ms)
    return token
