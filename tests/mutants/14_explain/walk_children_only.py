"""Mistake: walk returns the descendants but not the node it was given.

Caught by: test_walk_visits_every_node_depth_first, test_walk_includes_sub_plans_and_a_leaf_is_its_own_walk
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "14_explain/explain.py")


def walk(node):
    found = []
    for child in node.get("Plans", []):
        found += [child] + walk(child)
    return found
