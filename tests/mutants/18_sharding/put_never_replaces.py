"""Mistake: put inserts and ignores a user that exists (ON CONFLICT DO NOTHING): no replace.

Caught by: test_put_replaces_a_user
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "18_sharding/sharding.py")
# ruff: noqa: F821 - names below come from the reference


_Users = ShardedUsers


class ShardedUsers(_Users):
    def put(self, user_id, name, score):
        with self._shard(user_id).connection() as conn:
            conn.execute(
                "INSERT INTO users (id, name, score) VALUES (%s, %s, %s) ON CONFLICT (id) DO NOTHING",
                (user_id, name, score),
            )
