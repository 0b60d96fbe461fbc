"""Mistake: id_for gives each shard a block of 1,000 ids: a shard's 1,001st row collides with the next shard's first.

Caught by: test_id_for_never_gives_two_shards_the_same_id
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "18_sharding/sharding.py")
# ruff: noqa: F821 - names below come from the reference


def id_for(shard_index, sequence_value, shard_count):
    return shard_index * 1_000 + sequence_value
