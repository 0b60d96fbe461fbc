"""Kata 18 — sharding: one logical table of users spread over several PostgreSQL databases.

Fill in every function below; `pytest katas/18_sharding` tells you what is missing.
The tests give `shard_dsns`, a list of conninfo strings of databases with the same schema:

    users(id bigint primary key, name text, score int)

The order of `shard_dsns` is the shards' identity: every process given the same list must route
every user to the same shard.
"""

from __future__ import annotations

from collections.abc import Iterable


def stable_hash(key: str) -> int:
    """A hash of `key` that is identical in every process and every Python run.

    (Python's own hash() of a str is not: it changes with PYTHONHASHSEED.) The tests also expect it
    to spread keys evenly: for 10,000 keys such as "user:1", "user:2", … no remainder of
    `stable_hash(key) % n` (n = 2, 3, 4, 5, 8) may get more than 1.1× its share.
    """
    raise NotImplementedError


class HashRing:
    """Consistent hashing with virtual nodes: each node owns `vnodes` points on a ring.

    A key belongs to the node owning the first point at or after the key's hash, wrapping around.
    What the tests check, over 10,000 keys: with 100 vnodes, no node of four or five gets more than
    1.3× the mean; adding a fifth node to four moves at most 30% of the keys, all of them to the new
    node; removing a node moves only its keys; the routing depends on the set of nodes, not on the
    order they were given or added in, and is the same in another process.
    """

    def __init__(self, nodes: Iterable[str], vnodes: int = 100) -> None:
        raise NotImplementedError

    def node_for(self, key: str) -> str:
        """The node that owns `key`."""
        raise NotImplementedError

    def add(self, node: str) -> None:
        """Put `node` (and its `vnodes` points) on the ring."""
        raise NotImplementedError

    def remove(self, node: str) -> None:
        """Take `node` off the ring: its keys go to the nodes that follow its points."""
        raise NotImplementedError


def range_node(key: int, bounds: list[int], nodes: list[str]) -> str:
    """Range sharding: `bounds` sorted, `len(nodes) == len(bounds) + 1`, ranges half-open [lo, hi).

    With bounds [100, 200] and nodes [a, b, c]: keys below 100 → a, 100 to 199 → b, 200 and above → c.
    """
    raise NotImplementedError


def id_for(shard_index: int, sequence_value: int, shard_count: int) -> int:
    """A global id for the `sequence_value`-th row created on shard `shard_index` (of `shard_count`).

    Ids never collide across shards, however far each shard's own sequence has counted; they are
    positive and fit in a bigint (the tests use shard counts up to 16 and sequence values from 1).
    """
    raise NotImplementedError


class ShardedUsers:
    """The `users` table spread over the databases of `shard_dsns`, each user on exactly one shard.

    Route a user by a stable hash of its id, so that every process finds it (the tests also check
    that the users spread over all the shards: none holds fewer than 10% of 400 users). `count`,
    `average_score` and `top` ask every shard and combine the answers (scatter-gather); they send
    their queries to all shards at once, in parallel, not one shard after another — the tests lock
    every shard's table and expect to see your query waiting on all of them at the same moment.
    Safe to use from several threads at once. `close()` closes every connection and stops every
    thread it started.
    """

    def __init__(self, shard_dsns: list[str]) -> None:
        raise NotImplementedError

    def put(self, user_id: int, name: str, score: int) -> None:
        """Insert the user, or replace its name and score if it exists; committed when put returns."""
        raise NotImplementedError

    def get(self, user_id: int) -> dict | None:
        """{"id": …, "name": …, "score": …}, or None for a user never put."""
        raise NotImplementedError

    def count(self) -> int:
        """Users on all shards together."""
        raise NotImplementedError

    def average_score(self) -> float:
        """The mean score of all users on all shards (0.0 when there are none)."""
        raise NotImplementedError

    def top(self, k: int) -> list[tuple[int, int]]:
        """The k users with the highest score across all shards, as (id, score), highest first, ties by id."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError
