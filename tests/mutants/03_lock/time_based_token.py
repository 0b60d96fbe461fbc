"""Mistake: the token is the current time, which another client can guess or produce too.

Caught by: test_tokens_are_fresh_and_unguessable
"""

import time

from dojo.authoring.mutants import inherit

inherit(globals(), "03_lock/lock.py")


def acquire(r, name, ttl_ms):
    token = f"{time.time_ns()}"
    return token if r.set(name, token, nx=True, px=ttl_ms) else None
