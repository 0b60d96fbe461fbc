"""Alternative: optimistic WATCH/MULTI transaction, ZCARD after pruning, uuid members, NamedTuple."""

from __future__ import annotations

import uuid
from typing import NamedTuple

import redis

TIERS = {"free": (10, 60_000), "premium": (100, 60_000)}


class Decision(NamedTuple):
    allowed: bool
    remaining: int
    retry_after_ms: int


def check(r, key, limit, window_ms, now_ms):
    log = "ratelimit:" + key
    cutoff = now_ms - window_ms
    with r.pipeline() as pipe:
        while True:
            try:
                pipe.watch(log)
                entries = pipe.zrangebyscore(log, f"({cutoff}", "+inf", withscores=True)
                if len(entries) >= limit:
                    pipe.unwatch()
                    return Decision(False, 0, int(entries[0][1]) + window_ms - now_ms)
                pipe.multi()
                pipe.zremrangebyscore(log, "-inf", cutoff)
                pipe.zadd(log, {uuid.uuid4().hex: now_ms})
                pipe.pexpire(log, window_ms)
                pipe.execute()
                return Decision(True, limit - len(entries) - 1, 0)
            except redis.WatchError:
                continue


def check_user(r, user_id, tier, now_ms):
    limit, window = TIERS[tier]
    return check(r, f"user:{user_id}", limit, window, now_ms)
