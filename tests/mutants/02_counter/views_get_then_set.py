"""Mistake: record_view reads the total with GET and writes total + 1 with SET: concurrent views overwrite each other.

Caught by: test_8_threads_times_50_views_lose_nothing, test_concurrent_views_each_return_a_distinct_total
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "02_counter/counter.py")


def record_view(r, page_id):
    total = int(r.get(f"views:{page_id}") or 0) + 1
    r.set(f"views:{page_id}", total)
    return total
