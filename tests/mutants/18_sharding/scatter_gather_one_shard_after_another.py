"""Mistake: scatter-gather asks the shards one after another: its latency is the sum of theirs.

Caught by: test_scatter_gather_asks_every_shard_at_once
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "18_sharding/sharding.py")
# ruff: noqa: F821 - names below come from the reference


_Users = ShardedUsers


class ShardedUsers(_Users):
    def _everywhere(self, sql, params=()):
        return [self._run(shard, sql, params) for shard in self._shards]
