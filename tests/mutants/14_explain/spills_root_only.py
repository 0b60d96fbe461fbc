"""Mistake: spills_to_disk looks at the root node only, not anywhere in the tree.

Caught by: test_spills_to_disk_sees_hash_joins_and_hash_aggregates_that_outgrew_work_mem
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "14_explain/explain.py")


def spills_to_disk(node):
    return _spilled(node)  # noqa: F821
