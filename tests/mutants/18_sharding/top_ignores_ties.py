"""Mistake: top merges the shards' lists by score alone: tied users come out in shard order, not by id.

Caught by: test_top_breaks_ties_by_id_across_shards
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "18_sharding/sharding.py")
# ruff: noqa: F821 - names below come from the reference


_Users = ShardedUsers


class ShardedUsers(_Users):
    def top(self, k):
        rows = [
            r
            for part in self._everywhere("SELECT id, score FROM users ORDER BY score DESC LIMIT %s", (k,))
            for r in part
        ]
        return [tuple(r) for r in sorted(rows, key=lambda r: -r[1])][:k]
