"""Mistake: visitors are kept in a set: exact, but memory grows with every visitor (~55 bytes each).

Caught by: test_visits_are_stored_in_a_hyperloglog_at_hll_page_day, test_100k_visitors_are_counted_within_2_percent_in_under_16_kb
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "10_hyperloglog/hyperloglog.py")


def track_visit(r, page, visitor_id, day):
    r.sadd(day_key(page, day), visitor_id)  # noqa: F821 - from the reference


def unique_visitors(r, page, day):
    return int(r.scard(day_key(page, day)))  # noqa: F821


def unique_visitors_between(r, page, start, end):
    n = (end - start).days + 1
    return len(r.sunion([day_key(page, d) for d in days(start, n)]))  # noqa: F821


def merge_week(r, page, week_start):
    key = f"hll:{page}:week:{week_start.isoformat()}"
    r.sunionstore(key, [day_key(page, d) for d in days(week_start, 7)])  # noqa: F821
    return key
