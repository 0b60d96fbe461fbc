"""Mistake: allow reads the count, and increments only if it is below the limit: simultaneous callers all see room left.

Caught by: test_concurrent_callers_never_exceed_the_rate_limit
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "02_counter/counter.py")


def allow(r, client_id, limit, window_s, now):
    key = f"rate:{client_id}:{int(now // window_s)}"
    if int(r.get(key) or 0) >= limit:
        return False
    r.eval(INCR_WITH_EXPIRY, 1, key, window_s)  # noqa: F821 - from the reference
    return True
