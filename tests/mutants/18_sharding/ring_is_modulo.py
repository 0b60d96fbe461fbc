"""Mistake: the "ring" is hash % number of nodes: adding a node moves most keys.

Caught by: test_adding_a_fifth_node_moves_few_keys_and_only_to_it
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "18_sharding/sharding.py")
# ruff: noqa: F821 - names below come from the reference


class HashRing:
    def __init__(self, nodes, vnodes=100):
        self.nodes = sorted(nodes)

    def add(self, node):
        self.nodes = sorted({*self.nodes, node})

    def remove(self, node):
        self.nodes.remove(node)

    def node_for(self, key):
        return self.nodes[stable_hash(key) % len(self.nodes)]
