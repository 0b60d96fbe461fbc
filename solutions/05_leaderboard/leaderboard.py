"""Kata 05 — leaderboards on Redis sorted sets (reference solution)."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

GLOBAL = "lb:global"
DAILY_TTL_S = 8 * 24 * 3600  # a day's board outlives the week it can be summed into


def daily_key(day: date) -> str:
    return f"lb:daily:{day.isoformat()}"


def board(day: date | None) -> str:
    return GLOBAL if day is None else daily_key(day)


def pairs(reply: list) -> list[tuple[str, float]]:
    return [(member, float(score)) for member, score in reply]


def add_score(r, player: str, points: float, day: date) -> float:
    key = daily_key(day)
    # ZINCRBY adds on the server: no read-then-write, so concurrent scores never get lost.
    # The expiry travels in the same transaction, so a daily board never lives without one.
    with r.pipeline(transaction=True) as p:
        p.zincrby(GLOBAL, points, player)
        p.zincrby(key, points, player)
        p.expire(key, DAILY_TTL_S)
        total, _, _ = p.execute()
    return float(total)


def top(r, n: int, day: date | None = None) -> list[tuple[str, float]]:
    if n <= 0:
        return []
    # One range command that returns exactly n entries: the board is never shipped to Python.
    return pairs(r.zrange(board(day), 0, n - 1, desc=True, withscores=True))


def _higher(r, key: str, score: float) -> int:
    # "(" makes the bound exclusive: players with a strictly higher score.
    return r.zcount(key, f"({score!r}", "+inf")


def rank(r, player: str, day: date | None = None) -> int | None:
    key = board(day)
    score = r.zscore(key, player)
    if score is None:
        return None
    # Not ZREVRANK: that is the position in the board, which differs among tied players
    # (Redis orders equal scores by member name). Competition rank counts who is strictly ahead.
    return 1 + _higher(r, key, score)


def around(r, player: str, k: int, day: date | None = None) -> list[tuple[str, float]]:
    key = board(day)
    position = r.zrevrank(key, player)  # here the position in board order is what we want
    if position is None:
        return []
    # Clamp the start at 0: a negative index would count from the END of the board.
    start = max(0, position - k)
    return pairs(r.zrange(key, start, position + k, desc=True, withscores=True))


def weekly_top(r, n: int, week_start: date) -> list[tuple[str, float]]:
    if n <= 0:
        return []
    days = [daily_key(week_start + timedelta(days=i)) for i in range(7)]
    # Sum into a private temporary key (never into a daily board, never into a shared name
    # another caller could overwrite), read the top n, delete it: all in one transaction.
    scratch = f"lb:weekly:tmp:{secrets.token_hex(8)}"
    with r.pipeline(transaction=True) as p:
        p.zunionstore(scratch, days)
        p.zrange(scratch, 0, n - 1, desc=True, withscores=True)
        p.delete(scratch)
        _, best, _ = p.execute()
    return pairs(best)


def tier(r, player: str) -> str | None:
    score = r.zscore(GLOBAL, player)
    if score is None:
        return None
    with r.pipeline(transaction=True) as p:
        p.zcard(GLOBAL)
        p.zcount(GLOBAL, f"({score!r}", "+inf")
        size, higher = p.execute()
    k = 1 + higher
    # Integer ceilings, never floats: math.ceil(0.55 * 100) is 56, because 0.55 * 100 == 55.00000000000001.
    if k <= -(-size // 10):
        return "gold"
    if k <= -(-size // 2):
        return "silver"
    return "bronze"
