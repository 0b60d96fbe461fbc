"""Mistake: off by one at the window's start: a request exactly window_ms old still counts ([now-window, now]).

Caught by: test_a_request_leaves_the_window_exactly_window_ms_later
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "07_rate_limiter/rate_limiter.py")

_RIGHT = "redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)"
assert _RIGHT in SLIDING_WINDOW  # noqa: F821 - from the reference
SLIDING_WINDOW = SLIDING_WINDOW.replace(_RIGHT, "redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. (now - window))")  # noqa: F821
