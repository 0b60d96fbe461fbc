"""Mistake: walk visits the tree level by level (breadth first), splitting subtrees apart.

Caught by: test_walk_visits_every_node_depth_first
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "14_explain/explain.py")


def walk(node):
    found, level = [], [node]
    while level:
        found += level
        level = [child for n in level for child in n.get("Plans", [])]
    return found
