"""Mistake: self_time_ms returns the node's total time, children included.

Caught by: test_self_time_leaves_out_the_time_of_the_children, test_slowest_node_is_the_node_with_the_most_time_of_its_own
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "14_explain/explain.py")


def self_time_ms(node):
    return node["Actual Total Time"] * node["Actual Loops"]
