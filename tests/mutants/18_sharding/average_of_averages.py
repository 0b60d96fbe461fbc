"""Mistake: average_score averages the shards' averages: a shard with few users weighs as much as a big one.

Caught by: test_global_answers_equal_a_single_table
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "18_sharding/sharding.py")
# ruff: noqa: F821 - names below come from the reference


_Users = ShardedUsers


class ShardedUsers(_Users):
    def average_score(self):
        means = [rows[0][0] for rows in self._everywhere("SELECT avg(score)::float8 FROM users")]
        means = [m for m in means if m is not None]
        return sum(means) / len(means) if means else 0.0
