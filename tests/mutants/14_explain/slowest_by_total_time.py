"""Mistake: slowest_node picks the largest total time, which is always the root's.

Caught by: test_slowest_node_is_the_node_with_the_most_time_of_its_own, test_the_slowest_node_points_at_the_index_that_fixes_the_query
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "14_explain/explain.py")


def slowest_node(node):
    return max(walk(node), key=lambda n: n["Actual Total Time"] * n["Actual Loops"])  # noqa: F821
