"""Mistake: the counter key uses the raw timestamp instead of the window number, so every second starts a new "window".

Caught by: test_calls_are_counted_at_the_key_of_their_window, test_allow_lets_limit_calls_through_then_refuses
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "02_counter/counter.py")


def allow(r, client_id, limit, window_s, now):
    key = f"rate:{client_id}:{int(now)}"
    return int(r.eval(INCR_WITH_EXPIRY, 1, key, window_s)) <= limit  # noqa: F821 - from the reference
