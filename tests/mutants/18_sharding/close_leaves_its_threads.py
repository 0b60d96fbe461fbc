"""Mistake: close closes the shard pools but never shuts its scatter-gather threads down: they outlive it.

Caught by: test_count_average_and_top_over_all_shards
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "18_sharding/sharding.py")
# ruff: noqa: F821 - names below come from the reference


_Users = ShardedUsers


class ShardedUsers(_Users):
    def close(self):
        for shard in self._shards:
            shard.close()
