"""Mistake: weekly_top sums into one fixed scratch key, so two concurrent callers read each other's union.

Caught by: test_concurrent_weekly_tops_of_different_weeks_do_not_mix
"""

from datetime import timedelta

from dojo.authoring.mutants import inherit

inherit(globals(), "05_leaderboard/leaderboard.py")


def weekly_top(r, n, week_start):
    days = [daily_key(week_start + timedelta(days=i)) for i in range(7)]  # noqa: F821 - from the reference
    r.zunionstore("lb:weekly", days)
    best = pairs(r.zrange("lb:weekly", 0, n - 1, desc=True, withscores=True))  # noqa: F821
    r.expire("lb:weekly", 60)
    return best
