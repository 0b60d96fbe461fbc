"""Alternative leaderboard: Lua for writes and rank, ZUNION without STORE for the week."""

from __future__ import annotations

import math
from datetime import timedelta

ADD = """
local total = redis.call('ZINCRBY', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZINCRBY', KEYS[2], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], 7 * 86400)
return total
"""
RANK = """
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not s then return -1 end
return redis.call('ZCOUNT', KEYS[1], '(' .. s, '+inf')
"""


def _key(day):
    return "lb:global" if day is None else "lb:daily:" + day.strftime("%Y-%m-%d")


def add_score(r, player, points, day):
    return float(r.eval(ADD, 2, "lb:global", _key(day), points, player))


def top(r, n, day=None):
    if n < 1:
        return []
    return [(m, s) for m, s in r.zrevrange(_key(day), 0, n - 1, withscores=True)]


def rank(r, player, day=None):
    higher = r.eval(RANK, 1, _key(day), player)
    return None if higher < 0 else higher + 1


def around(r, player, k, day=None):
    key = _key(day)
    pos = r.zrevrank(key, player)
    if pos is None:
        return []
    lo = pos - k if pos >= k else 0
    return list(r.zrevrange(key, lo, pos + k, withscores=True))


def weekly_top(r, n, week_start):
    keys = [_key(week_start + timedelta(days=d)) for d in range(7)]
    totals = r.zunion(keys, withscores=True)
    totals.sort(key=lambda p: p[1], reverse=True)
    return [(m, float(s)) for m, s in totals[:n]]


def tier(r, player):
    k = rank(r, player)
    if k is None:
        return None
    n = r.zcard("lb:global")
    if k <= math.ceil(n / 10):
        return "gold"
    return "silver" if k <= math.ceil(n / 2) else "bronze"
