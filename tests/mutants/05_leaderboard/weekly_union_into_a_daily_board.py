"""Mistake: weekly_top stores the union into the first day's board (ZUNIONSTORE onto a source key), corrupting it.

Caught by: test_weekly_top_leaves_the_daily_boards_unchanged
"""

from datetime import timedelta

from dojo.authoring.mutants import inherit

inherit(globals(), "05_leaderboard/leaderboard.py")


def weekly_top(r, n, week_start):
    days = [daily_key(week_start + timedelta(days=i)) for i in range(7)]  # noqa: F821 - from the reference
    r.zunionstore(days[0], days)
    return pairs(r.zrange(days[0], 0, n - 1, desc=True, withscores=True))  # noqa: F821
