"""Mistake: range_node treats a bound as the end of the range below it (bisect_left): 100 goes to the wrong node.

Caught by: test_range_node_uses_half_open_ranges
"""

import bisect

from dojo.authoring.mutants import inherit

inherit(globals(), "18_sharding/sharding.py")
# ruff: noqa: F821 - names below come from the reference


def range_node(key, bounds, nodes):
    return nodes[bisect.bisect_left(bounds, key)]
