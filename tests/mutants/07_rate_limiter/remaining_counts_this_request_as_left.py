"""Mistake: remaining is limit minus the requests before this one, so it is one too high (this request is not subtracted).

Caught by: test_remaining_counts_down_to_zero
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "07_rate_limiter/rate_limiter.py")

_RIGHT = "return {1, limit - used - 1, 0}"
assert _RIGHT in SLIDING_WINDOW  # noqa: F821 - from the reference
SLIDING_WINDOW = SLIDING_WINDOW.replace(_RIGHT, "return {1, limit - used, 0}")  # noqa: F821
