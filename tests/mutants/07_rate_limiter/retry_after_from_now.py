"""Mistake: retry_after is a whole window from now, instead of the time until the oldest counted request leaves.

Caught by: test_retry_after_is_the_time_until_the_oldest_request_leaves
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "07_rate_limiter/rate_limiter.py")

_RIGHT = "retry = tonumber(oldest[2]) + window - now"
assert _RIGHT in SLIDING_WINDOW  # noqa: F821 - from the reference
SLIDING_WINDOW = SLIDING_WINDOW.replace(_RIGHT, "retry = window")  # noqa: F821
