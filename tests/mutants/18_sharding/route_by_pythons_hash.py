"""Mistake: ShardedUsers routes with Python's hash() of the id: another process looks for the user on another shard.

Caught by: test_users_written_by_another_process_are_found_here
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "18_sharding/sharding.py")
# ruff: noqa: F821 - names below come from the reference


_Users = ShardedUsers


class ShardedUsers(_Users):
    def _shard(self, user_id):
        return self._shards[hash(f"user-{user_id}") % len(self._shards)]
