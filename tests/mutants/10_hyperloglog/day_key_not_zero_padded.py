"""Mistake: the day in the key is built from its parts without zero padding (hll:home:2024-3-4, not 2024-03-04).

Caught by: test_visits_are_stored_in_a_hyperloglog_at_hll_page_day
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "10_hyperloglog/hyperloglog.py")


def day_key(page, day):
    return f"hll:{page}:{day.year}-{day.month}-{day.day}"
