"""Mistake: track_visit counts a visitor as new when PFADD answers 1, in a counter of its own: PFADD says whether a register changed, not whether the visitor is new, so most new visitors go uncounted.

Caught by: test_100k_visitors_are_counted_within_2_percent_in_under_16_kb
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "10_hyperloglog/hyperloglog.py")


def track_visit(r, page, visitor_id, day):
    if r.pfadd(day_key(page, day), visitor_id):  # noqa: F821 - from the reference
        r.incr(f"{day_key(page, day)}:count")  # noqa: F821


def unique_visitors(r, page, day):
    return int(r.get(f"{day_key(page, day)}:count") or 0)  # noqa: F821
