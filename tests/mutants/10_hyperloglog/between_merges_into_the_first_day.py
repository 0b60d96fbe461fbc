"""Mistake: a range count PFMERGEs the other days into the first day's key and counts that: the daily key is changed.

Caught by: test_counting_a_range_leaves_the_daily_counts_unchanged
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "10_hyperloglog/hyperloglog.py")


def unique_visitors_between(r, page, start, end):
    n = (end - start).days + 1
    keys = [day_key(page, d) for d in days(start, n)]  # noqa: F821 - from the reference
    r.pfmerge(keys[0], *keys[1:])
    return int(r.pfcount(keys[0]))
