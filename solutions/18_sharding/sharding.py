"""Kata 18 — sharding (reference solution)."""

from __future__ import annotations

import bisect
import hashlib
import heapq
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from psycopg_pool import ConnectionPool


def stable_hash(key: str) -> int:
    # Python's hash() of a str changes with every interpreter (PYTHONHASHSEED): never route with it.
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")


class HashRing:
    """Consistent hashing: each node owns `vnodes` points on a ring of 2**64 positions; a key goes
    to the first point clockwise from its own hash."""

    def __init__(self, nodes: Iterable[str], vnodes: int = 100) -> None:
        self.vnodes = vnodes
        self._points: list[tuple[int, str]] = []
        for node in nodes:
            self.add(node)

    def add(self, node: str) -> None:
        if any(owner == node for _, owner in self._points):
            return
        for i in range(self.vnodes):
            bisect.insort(self._points, (stable_hash(f"{node}#{i}"), node))

    def remove(self, node: str) -> None:
        self._points = [(point, owner) for point, owner in self._points if owner != node]

    def node_for(self, key: str) -> str:
        if not self._points:
            raise LookupError("the ring has no nodes: add one first")
        i = bisect.bisect(self._points, (stable_hash(key),))
        return self._points[i % len(self._points)][1]


def range_node(key: int, bounds: list[int], nodes: list[str]) -> str:
    # bisect_right: a key equal to a bound belongs to the range that starts there, [lo, hi).
    return nodes[bisect.bisect_right(bounds, key)]


def id_for(shard_index: int, sequence_value: int, shard_count: int) -> int:
    # Interleave: shard i hands out i, i + n, i + 2n, … — never a number another shard uses.
    return sequence_value * shard_count + shard_index


CONNECTIONS_PER_SHARD = 4


class ShardedUsers:
    """Users spread over shard databases by a hash of their id; global questions asked of every shard at once."""

    def __init__(self, shard_dsns: list[str]) -> None:
        # A small pool per shard: concurrent callers of one shard do not queue behind one connection.
        self._shards = [
            ConnectionPool(dsn, min_size=1, max_size=CONNECTIONS_PER_SHARD, kwargs={"autocommit": True}, open=True)
            for dsn in shard_dsns
        ]
        self._scatter = ThreadPoolExecutor(max_workers=len(self._shards), thread_name_prefix="scatter")

    def _shard(self, user_id: int) -> ConnectionPool:
        return self._shards[stable_hash(str(user_id)) % len(self._shards)]

    def _run(self, shard: ConnectionPool, sql: str, params: Any = ()) -> list[tuple]:
        with shard.connection() as conn:
            return conn.execute(sql, params).fetchall()

    def _everywhere(self, sql: str, params: Any = ()) -> list[list[tuple]]:
        """Scatter-gather: the same query on every shard, in parallel; each shard's rows."""
        return list(self._scatter.map(lambda shard: self._run(shard, sql, params), self._shards))

    def put(self, user_id: int, name: str, score: int) -> None:
        with self._shard(user_id).connection() as conn:
            conn.execute(
                "INSERT INTO users (id, name, score) VALUES (%s, %s, %s) "
                "ON CONFLICT (id) DO UPDATE SET name = excluded.name, score = excluded.score",
                (user_id, name, score),
            )

    def get(self, user_id: int) -> dict | None:
        rows = self._run(self._shard(user_id), "SELECT id, name, score FROM users WHERE id = %s", (user_id,))
        return {"id": rows[0][0], "name": rows[0][1], "score": rows[0][2]} if rows else None

    def count(self) -> int:
        return sum(rows[0][0] for rows in self._everywhere("SELECT count(*) FROM users"))

    def average_score(self) -> float:
        # Sums and counts combine across shards; averages of averages do not.
        parts = [rows[0] for rows in self._everywhere("SELECT count(score), coalesce(sum(score), 0) FROM users")]
        scored = sum(n for n, _ in parts)
        return float(sum(total for _, total in parts)) / scored if scored else 0.0

    def top(self, k: int) -> list[tuple[int, int]]:
        # Each shard's own top k holds every candidate for the global top k; merge the sorted lists.
        per_shard = self._everywhere(
            "SELECT id, score FROM users WHERE score IS NOT NULL ORDER BY score DESC, id LIMIT %s", (k,)
        )
        merged = heapq.merge(*per_shard, key=lambda row: (-row[1], row[0]))
        return [(user_id, score) for user_id, score in merged][:k]

    def close(self) -> None:
        self._scatter.shutdown(wait=True)
        for shard in self._shards:
            shard.close()
