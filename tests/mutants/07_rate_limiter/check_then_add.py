"""Mistake: count the window in one command, add the request in the next: concurrent callers all pass the check.

Caught by: test_exactly_limit_of_20_concurrent_callers_are_allowed
"""

import secrets

from dojo.authoring.mutants import inherit

inherit(globals(), "07_rate_limiter/rate_limiter.py")


def check(r, key, limit, window_ms, now_ms):
    log = f"ratelimit:{key}"
    r.zremrangebyscore(log, "-inf", now_ms - window_ms)
    used = r.zcard(log)
    if used < limit:
        r.zadd(log, {f"{now_ms}-{secrets.token_hex(8)}": now_ms})
        r.pexpire(log, window_ms)
        return Decision(True, limit - used - 1, 0)  # noqa: F821 - from the reference
    oldest = r.zrange(log, 0, 0, withscores=True)[0][1]
    return Decision(False, 0, int(oldest) + window_ms - now_ms)  # noqa: F821
