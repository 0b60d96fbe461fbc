"""Mistake: spills_to_disk only looks at sorts, missing hash joins and hash aggregates that spilled.

Caught by: test_spills_to_disk_sees_hash_joins_and_hash_aggregates_that_outgrew_work_mem
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "14_explain/explain.py")


def spills_to_disk(node):
    return any(n.get("Sort Space Type") == "Disk" for n in walk(node))  # noqa: F821
