"""Mistake: each node gets one point on the ring (vnodes ignored): the arcs, and so the loads, are lopsided.

Caught by: test_virtual_nodes_keep_the_load_within_30_percent_of_the_mean
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "18_sharding/sharding.py")
# ruff: noqa: F821 - names below come from the reference


_Ring = HashRing


class HashRing(_Ring):
    def __init__(self, nodes, vnodes=100):
        super().__init__(nodes, vnodes=1)
