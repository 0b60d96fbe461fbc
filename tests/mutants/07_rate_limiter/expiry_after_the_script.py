"""Mistake: the script counts and records atomically, but the log gets its expiry from a second command after it: a client that dies in between leaves a log that never expires.

Caught by: test_a_client_that_dies_between_any_two_steps_leaves_a_log_that_expires
"""

import secrets

from dojo.authoring.mutants import inherit

inherit(globals(), "07_rate_limiter/rate_limiter.py")

WITHOUT_EXPIRY = SLIDING_WINDOW.replace("redis.call('PEXPIRE', key, window)", "")  # noqa: F821 - from the reference


def check(r, key, limit, window_ms, now_ms):
    member = f"{now_ms}-{secrets.token_hex(8)}"
    allowed, remaining, retry_after = r.eval(WITHOUT_EXPIRY, 1, f"ratelimit:{key}", limit, window_ms, now_ms, member)
    if allowed:
        r.pexpire(f"ratelimit:{key}", window_ms)
    return Decision(bool(allowed), int(remaining), int(retry_after))  # noqa: F821
