"""Kata 02 — atomic counters: page views, likes, and a fixed-window rate limit (reference solution)."""

from __future__ import annotations

# INCR and EXPIRE in one script: a client that dies between the two commands would otherwise
# leave a counter with no expiry — a key that is never removed (the next window uses a new key).
INCR_WITH_EXPIRY = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return n
"""


def record_view(r, page_id: str) -> int:
    # INCR reads, adds and writes inside the server in one step: no other client can slip a
    # write in between, as it can between a GET and a SET.
    return int(r.incr(f"views:{page_id}"))


def views(r, page_id: str) -> int:
    return int(r.get(f"views:{page_id}") or 0)


def like(r, post_id: str, user_id: str) -> int:
    # The set of likers is the count: SADD ignores a second like, SCARD counts members.
    # MULTI makes the returned count the one right after this call's change.
    pipe = r.pipeline(transaction=True)
    pipe.sadd(f"likes:{post_id}", user_id)
    pipe.scard(f"likes:{post_id}")
    return int(pipe.execute()[1])


def unlike(r, post_id: str, user_id: str) -> int:
    # SREM of a non-member does nothing, so the count can never go below zero.
    pipe = r.pipeline(transaction=True)
    pipe.srem(f"likes:{post_id}", user_id)
    pipe.scard(f"likes:{post_id}")
    return int(pipe.execute()[1])


def likes(r, post_id: str) -> int:
    return int(r.scard(f"likes:{post_id}"))


def allow(r, client_id: str, limit: int, window_s: int, now: float) -> bool:
    key = f"rate:{client_id}:{int(now // window_s)}"
    # Increment first, then decide: the count returned by INCR already includes this call, so
    # concurrent callers can never all see "room left". The expiry is relative (EXPIRE, not
    # EXPIREAT): `now` is the caller's clock, not the server's.
    count = r.eval(INCR_WITH_EXPIRY, 1, key, int(window_s))
    return int(count) <= limit
