"""Mistake: INCR, then EXPIRE when the count is 1, as two commands: a client dying in between leaves a counter that never expires.

Caught by: test_no_rate_counter_ever_lives_without_an_expiry
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "02_counter/counter.py")


def allow(r, client_id, limit, window_s, now):
    key = f"rate:{client_id}:{int(now // window_s)}"
    count = r.incr(key)
    if count == 1:
        r.expire(key, window_s)
    return count <= limit
