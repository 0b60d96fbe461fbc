"""Mistake: the window is counted with ZCOUNT but old entries are never removed, so the log grows with traffic.

Caught by: test_the_log_stays_bounded_by_the_limit
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "07_rate_limiter/rate_limiter.py")

_PRUNE = "redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)"
_COUNT = "redis.call('ZCOUNT', key, '-inf', now)"
_OLDEST = "redis.call('ZRANGEBYSCORE', key, '-inf', now,"
assert _PRUNE in SLIDING_WINDOW and _COUNT in SLIDING_WINDOW and _OLDEST in SLIDING_WINDOW  # noqa: F821
SLIDING_WINDOW = (
    SLIDING_WINDOW.replace(_PRUNE, "")  # noqa: F821
    .replace(_COUNT, "redis.call('ZCOUNT', key, '(' .. (now - window), now)")
    .replace(_OLDEST, "redis.call('ZRANGEBYSCORE', key, '(' .. (now - window), now,")
)
