"""Alternative: MULTI add-then-count; an over-limit request removes its own entry again."""

from __future__ import annotations

import os
from dataclasses import dataclass

TIERS = {"free": (10, 60_000), "premium": (100, 60_000)}


@dataclass
class Decision:
    allowed: bool
    remaining: int
    retry_after_ms: int


def check(r, key, limit, window_ms, now_ms):
    log = f"ratelimit:{key}"
    member = f"{now_ms}:{os.getpid()}:{os.urandom(6).hex()}"
    pipe = r.pipeline(transaction=True)
    pipe.zremrangebyscore(log, 0, now_ms - window_ms)
    pipe.zadd(log, {member: now_ms})
    pipe.zrank(log, member)
    pipe.zcard(log)
    pipe.pexpire(log, window_ms)
    _, _, _, count, _ = pipe.execute()
    if count <= limit:
        return Decision(True, limit - count, 0)
    pipe = r.pipeline(transaction=True)
    pipe.zrem(log, member)
    pipe.zrange(log, 0, 0, withscores=True)
    _, oldest = pipe.execute()
    return Decision(False, 0, int(oldest[0][1]) + window_ms - now_ms)


def check_user(r, user_id, tier, now_ms):
    limit, window = TIERS[tier]
    return check(r, "user:" + user_id, limit, window, now_ms)
