"""Mistake: virtual node points are named after the node's position in the list, so the order of the nodes changes the routing.

Caught by: test_the_ring_depends_on_its_nodes_not_on_their_order
"""

import bisect

from dojo.authoring.mutants import inherit

inherit(globals(), "18_sharding/sharding.py")
# ruff: noqa: F821 - names below come from the reference


class HashRing:
    def __init__(self, nodes, vnodes=100):
        self.vnodes = vnodes
        self.nodes = []
        self._points = []
        for node in nodes:
            self.add(node)

    def add(self, node):
        self.nodes.append(node)
        for i in range(self.vnodes):
            bisect.insort(self._points, (stable_hash(f"{len(self.nodes) - 1}#{i}"), node))

    def remove(self, node):
        self._points = [(p, o) for p, o in self._points if o != node]

    def node_for(self, key):
        i = bisect.bisect(self._points, (stable_hash(key),))
        return self._points[i % len(self._points)][1]
