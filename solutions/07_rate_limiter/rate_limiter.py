"""Kata 07 — a sliding-window rate limiter on a Redis sorted set (reference solution)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

TIERS = {"free": (10, 60_000), "premium": (100, 60_000)}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int
    retry_after_ms: int


# The whole check-and-record runs inside Redis as one script: no other client can act
# between counting the window and adding to it. (Counting in one command and adding in
# the next lets 20 callers all see "9 used" and all get in.)
#
# KEYS[1] the log; ARGV: limit, window_ms, now_ms, a member unique to this request.
SLIDING_WINDOW = """
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local now = tonumber(ARGV[3])

-- The window is (now - window, now]: a request exactly `window` ms old has left it.
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local used = redis.call('ZCOUNT', key, '-inf', now)

if used < limit then
  -- Record only allowed requests, under a unique member: with the timestamp alone as
  -- member, requests in the same millisecond would overwrite each other.
  redis.call('ZADD', key, now, ARGV[4])
  -- Every allowed request pushes the expiry back: the key lives exactly as long as its
  -- newest entry can still count, and an idle client's log disappears by itself.
  redis.call('PEXPIRE', key, window)
  return {1, limit - used - 1, 0}
end

-- Refused (and not recorded): a slot frees up when the oldest counted request leaves.
local oldest = redis.call('ZRANGEBYSCORE', key, '-inf', now, 'WITHSCORES', 'LIMIT', 0, 1)
local retry = window
if oldest[2] then
  retry = tonumber(oldest[2]) + window - now
end
return {0, 0, retry}
"""


def check(r, key: str, limit: int, window_ms: int, now_ms: int) -> Decision:
    member = f"{now_ms}-{secrets.token_hex(8)}"
    # register_script sends EVALSHA (the script's hash), loading the script on first use.
    script = r.register_script(SLIDING_WINDOW)
    allowed, remaining, retry_after = script(keys=[f"ratelimit:{key}"], args=[limit, window_ms, now_ms, member])
    return Decision(bool(allowed), int(remaining), int(retry_after))


def check_user(r, user_id: str, tier: str, now_ms: int) -> Decision:
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}; expected one of {sorted(TIERS)}")
    limit, window_ms = TIERS[tier]
    return check(r, f"user:{user_id}", limit, window_ms, now_ms)
