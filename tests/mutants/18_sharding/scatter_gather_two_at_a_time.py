"""Mistake: scatter-gather uses a pool of two threads: with four shards, half of them wait their turn.

Caught by: test_scatter_gather_asks_every_shard_at_once
"""

from concurrent.futures import ThreadPoolExecutor

from dojo.authoring.mutants import inherit

inherit(globals(), "18_sharding/sharding.py")
# ruff: noqa: F821 - names below come from the reference


_Users = ShardedUsers


class ShardedUsers(_Users):
    def __init__(self, shard_dsns):
        super().__init__(shard_dsns)
        self._scatter.shutdown()
        self._scatter = ThreadPoolExecutor(max_workers=2)
