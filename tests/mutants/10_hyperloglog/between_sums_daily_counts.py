"""Mistake: a range count adds up the daily counts, so a visitor who returns is counted once per day.

Caught by: test_a_visitor_on_several_days_counts_once_in_a_range, test_a_week_count_is_far_below_the_sum_of_daily_counts_when_visitors_return
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "10_hyperloglog/hyperloglog.py")


def unique_visitors_between(r, page, start, end):
    n = (end - start).days + 1
    return sum(unique_visitors(r, page, d) for d in days(start, n))  # noqa: F821 - from the reference
