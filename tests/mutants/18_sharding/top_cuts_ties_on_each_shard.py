"""Mistake: each shard's LIMIT k ignores ties (ORDER BY score alone): a shard may cut off the low ids the global top k needs.

Caught by: test_top_breaks_ties_by_id_across_shards
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "18_sharding/sharding.py")
# ruff: noqa: F821 - names below come from the reference

_Users = ShardedUsers


class ShardedUsers(_Users):
    def top(self, k):
        parts = self._everywhere("SELECT id, score FROM users ORDER BY score DESC LIMIT %s", (k,))
        rows = sorted((r for part in parts for r in part), key=lambda r: (-r[1], r[0]))
        return [tuple(r) for r in rows[:k]]
