"""Mistake: merge_week PFMERGEs the week into its first day's key, then copies that: the Monday count now holds the week.

Caught by: test_merge_week_leaves_the_daily_counts_unchanged
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "10_hyperloglog/hyperloglog.py")


def merge_week(r, page, week_start):
    keys = [day_key(page, d) for d in days(week_start, 7)]  # noqa: F821 - from the reference
    r.pfmerge(keys[0], *keys[1:])
    week = f"hll:{page}:week:{week_start.isoformat()}"
    r.copy(keys[0], week, replace=True)
    return week
