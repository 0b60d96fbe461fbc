"""Mistake: prune and count inside MULTI/EXEC, then ZADD afterwards: the transaction ends before the decision is recorded.

Caught by: test_exactly_limit_of_20_concurrent_callers_are_allowed
"""

import secrets

from dojo.authoring.mutants import inherit

inherit(globals(), "07_rate_limiter/rate_limiter.py")


def check(r, key, limit, window_ms, now_ms):
    log = f"ratelimit:{key}"
    with r.pipeline() as pipe:
        pipe.zremrangebyscore(log, "-inf", now_ms - window_ms)
        pipe.zrange(log, 0, -1, withscores=True)
        _, entries = pipe.execute()
    if len(entries) < limit:
        with r.pipeline() as pipe:
            pipe.zadd(log, {f"{now_ms}-{secrets.token_hex(8)}": now_ms})
            pipe.pexpire(log, window_ms)
            pipe.execute()
        return Decision(True, limit - len(entries) - 1, 0)  # noqa: F821 - from the reference
    return Decision(False, 0, int(entries[0][1]) + window_ms - now_ms)  # noqa: F821
