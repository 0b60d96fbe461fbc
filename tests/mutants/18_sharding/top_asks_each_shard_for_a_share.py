"""Mistake: top asks each shard for only k / shards users: the global top k may live on one shard.

Caught by: test_global_answers_equal_a_single_table
"""

import heapq

from dojo.authoring.mutants import inherit

inherit(globals(), "18_sharding/sharding.py")
# ruff: noqa: F821 - names below come from the reference


_Users = ShardedUsers


class ShardedUsers(_Users):
    def top(self, k):
        share = -(-k // len(self._shards))
        parts = self._everywhere("SELECT id, score FROM users ORDER BY score DESC, id LIMIT %s", (share,))
        return [tuple(r) for r in heapq.merge(*parts, key=lambda r: (-r[1], r[0]))][:k]
