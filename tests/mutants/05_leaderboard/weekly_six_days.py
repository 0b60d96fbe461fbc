"""Mistake: weekly_top sums week_start + 1 … week_start + 6: an off-by-one drops a day of the week.

Caught by: test_weekly_top_counts_exactly_the_seven_days_from_week_start
"""

from datetime import timedelta

from dojo.authoring.mutants import inherit

inherit(globals(), "05_leaderboard/leaderboard.py")


def weekly_top(r, n, week_start):
    days = [daily_key(week_start + timedelta(days=i)) for i in range(1, 7)]  # noqa: F821 - from the reference
    scratch = "lb:weekly:tmp:mutant"
    with r.pipeline(transaction=True) as p:
        p.zunionstore(scratch, days)
        p.zrange(scratch, 0, n - 1, desc=True, withscores=True)
        p.delete(scratch)
        _, best, _ = p.execute()
    return pairs(best)  # noqa: F821
