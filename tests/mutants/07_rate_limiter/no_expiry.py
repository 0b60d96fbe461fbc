"""Mistake: the log never gets an expiry, so every client that ever called keeps a key in memory forever.

Caught by: test_the_key_expires_at_most_window_ms_after_the_last_allowed_request, test_an_idle_clients_log_disappears_by_itself
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "07_rate_limiter/rate_limiter.py")

_EXPIRE = "redis.call('PEXPIRE', key, window)"
assert _EXPIRE in SLIDING_WINDOW  # noqa: F821 - from the reference
SLIDING_WINDOW = SLIDING_WINDOW.replace(_EXPIRE, "")  # noqa: F821
