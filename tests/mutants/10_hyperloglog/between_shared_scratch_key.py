"""Mistake: a range count PFMERGEs into one fixed scratch key, counts it and deletes it: concurrent queries mix their ranges.

Caught by: test_concurrent_range_queries_do_not_see_each_others_visitors
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "10_hyperloglog/hyperloglog.py")


def unique_visitors_between(r, page, start, end):
    n = (end - start).days + 1
    scratch = f"hll:{page}:tmp"
    r.pfmerge(scratch, *[day_key(page, d) for d in days(start, n)])  # noqa: F821 - from the reference
    count = int(r.pfcount(scratch))
    r.delete(scratch)
    return count
