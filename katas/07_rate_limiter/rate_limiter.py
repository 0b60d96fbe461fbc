"""Kata 07 — a sliding-window rate limiter on a Redis sorted set.

Fill in every function below; `pytest katas/07_rate_limiter` tells you what is missing.
`r` is a redis.Redis client created with decode_responses=True (replies are str).

Times are milliseconds on the caller's clock: `now_ms` is passed in (the tests pass made-up
times, so they can place requests exactly). It need not match the Redis server's clock, so
give keys their expiry as a duration from now, not as an absolute time.
"""

from __future__ import annotations

from dataclasses import dataclass

# (limit, window_ms) per tier.
TIERS = {"free": (10, 60_000), "premium": (100, 60_000)}


@dataclass(frozen=True)
class Decision:
    """The answer to one request."""

    allowed: bool
    remaining: int  # allowed requests left in the window after this one
    retry_after_ms: int  # 0 when allowed; else ms until the oldest counted request leaves the window


def check(r, key: str, limit: int, window_ms: int, now_ms: int) -> Decision:
    """Decide one request of client `key` at time `now_ms`, and record it if allowed.

    The log of allowed requests is the sorted set `ratelimit:{key}`. The request is allowed
    iff fewer than `limit` allowed requests have timestamps in (now_ms - window_ms, now_ms].
    - Refused requests are not recorded.
    - Requests in the same millisecond all count.
    - Checking and recording is one atomic step: however many clients call at once, at
      most `limit` of them get in.
    - The key expires at most `window_ms` after the last allowed request, and never exists
      without an expiry, even if the client dies between two of its commands (the tests kill
      it right after each one).

    `remaining` is how many more requests the window allows after this one (0 when refused);
    `retry_after_ms` is 0 when allowed, else the time until the oldest counted request leaves
    the window.
    """
    raise NotImplementedError


def check_user(r, user_id: str, tier: str, now_ms: int) -> Decision:
    """Rate-limit user `user_id` by their tier ("free" or "premium", see TIERS).

    Uses the key `user:{user_id}` (so the log is `ratelimit:user:{user_id}`). Per-IP limits
    are plain `check(r, f"ip:{ip}", limit, window_ms, now_ms)` calls.
    """
    raise NotImplementedError
