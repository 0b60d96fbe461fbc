"""Mistake: the expiry is set only when the key is created (the fixed-window counter habit), so the log vanishes while its newest entries still count.

Caught by: test_every_allowed_request_pushes_the_expiry_back
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "07_rate_limiter/rate_limiter.py")

_EXPIRE = "redis.call('PEXPIRE', key, window)"
assert _EXPIRE in SLIDING_WINDOW  # noqa: F821 - from the reference
SLIDING_WINDOW = SLIDING_WINDOW.replace(  # noqa: F821
    _EXPIRE, "if redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, window) end"
)
