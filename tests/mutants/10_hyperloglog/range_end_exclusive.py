"""Mistake: the range stops before `end` (range(start, end) habits): the last day's visitors are missing.

Caught by: test_a_range_includes_both_end_days
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "10_hyperloglog/hyperloglog.py")


def unique_visitors_between(r, page, start, end):
    n = (end - start).days
    if n <= 0:
        return int(r.pfcount(day_key(page, start)))  # noqa: F821 - from the reference
    return int(r.pfcount(*[day_key(page, d) for d in days(start, n)]))  # noqa: F821
