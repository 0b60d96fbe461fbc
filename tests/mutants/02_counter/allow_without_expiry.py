"""Mistake: the window counter is incremented but never given an expiry, so old windows pile up for ever.

Caught by: test_the_counter_expires_within_one_window
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "02_counter/counter.py")


def allow(r, client_id, limit, window_s, now):
    return int(r.incr(f"rate:{client_id}:{int(now // window_s)}")) <= limit
