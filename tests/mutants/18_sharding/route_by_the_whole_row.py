"""Mistake: put routes by a hash of the whole row, so a renamed user lands on a second shard.

Caught by: test_put_replaces_a_user, test_users_spread_over_every_shard_one_row_each
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "18_sharding/sharding.py")
# ruff: noqa: F821 - names below come from the reference


_Users = ShardedUsers


class ShardedUsers(_Users):
    def put(self, user_id, name, score):
        shard = self._shards[stable_hash(f"{user_id}:{name}:{score}") % len(self._shards)]
        with shard.connection() as conn:
            conn.execute(
                "INSERT INTO users (id, name, score) VALUES (%s, %s, %s) "
                "ON CONFLICT (id) DO UPDATE SET name = excluded.name, score = excluded.score",
                (user_id, name, score),
            )
