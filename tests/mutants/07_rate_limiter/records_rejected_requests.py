"""Mistake: add first, then count (the popular MULTI snippet): refused requests stay in the log and keep the client locked out.

Caught by: test_rejected_requests_are_not_recorded
"""

import secrets

from dojo.authoring.mutants import inherit

inherit(globals(), "07_rate_limiter/rate_limiter.py")


def check(r, key, limit, window_ms, now_ms):
    log = f"ratelimit:{key}"
    with r.pipeline() as pipe:  # MULTI/EXEC: atomic, but every request is recorded
        pipe.zremrangebyscore(log, "-inf", now_ms - window_ms)
        pipe.zadd(log, {f"{now_ms}-{secrets.token_hex(8)}": now_ms})
        pipe.zcard(log)
        pipe.pexpire(log, window_ms)
        _, _, count, _ = pipe.execute()
    if count <= limit:
        return Decision(True, limit - count, 0)  # noqa: F821 - from the reference
    oldest = r.zrange(log, 0, 0, withscores=True)[0][1]
    return Decision(False, 0, int(oldest) + window_ms - now_ms)  # noqa: F821
