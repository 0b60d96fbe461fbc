"""Mistake: self_time_ms subtracts each child's time per loop, forgetting that a child may run many loops.

Caught by: test_self_time_multiplies_each_childs_time_by_its_loops, test_self_time_leaves_out_the_time_of_the_children
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "14_explain/explain.py")


def self_time_ms(node):
    return node["Actual Total Time"] - sum(c["Actual Total Time"] for c in node.get("Plans", []))
