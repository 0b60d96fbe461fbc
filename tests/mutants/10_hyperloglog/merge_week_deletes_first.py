"""Mistake: merge_week deletes the week key, then PFMERGEs into it: readers see an empty week in between.

Caught by: test_a_week_being_merged_again_never_reads_as_empty
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "10_hyperloglog/hyperloglog.py")


def merge_week(r, page, week_start):
    key = f"hll:{page}:week:{week_start.isoformat()}"
    r.delete(key)
    r.pfmerge(key, *[day_key(page, d) for d in days(week_start, 7)])  # noqa: F821 - from the reference
    return key
