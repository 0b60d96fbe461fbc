"""Mistake: extend reads the token (and the TTL) in a pipeline, then sets the expiry afterwards: the pipeline is one round trip, but the check and the act are still two steps.

Caught by: test_extend_checks_and_expires_in_one_atomic_step
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "03_lock/lock.py")


def extend(r, name, token, ttl_ms):
    with r.pipeline(transaction=True) as pipe:
        pipe.get(name)
        pipe.pttl(name)
        owner, _ttl = pipe.execute()
    if owner != token:
        return False
    return bool(r.pexpire(name, ttl_ms))
