"""A correct kata 18 written unlike the reference: rendezvous (highest random weight) hashing instead of a
ring of points, bit-packed ids, a connection pool per shard and a thread per shard for each scatter-gather."""

import hashlib
import threading

from psycopg_pool import ConnectionPool

SHARD_BITS = 12


def stable_hash(key):
    return int.from_bytes(hashlib.sha1(key.encode("utf-8")).digest()[:8], "little")


class HashRing:
    """Each key goes to the node with the highest hash of (node, key): adding a node takes only the keys
    it now wins; `vnodes` is accepted for the contract, the scheme needs none."""

    def __init__(self, nodes, vnodes=100):
        self.nodes = set(nodes)

    def add(self, node):
        self.nodes.add(node)

    def remove(self, node):
        self.nodes.discard(node)

    def node_for(self, key):
        return max(sorted(self.nodes), key=lambda node: stable_hash(f"{node}\x00{key}"))


def range_node(key, bounds, nodes):
    for bound, node in zip(bounds, nodes):
        if key < bound:
            return node
    return nodes[len(bounds)]


def id_for(shard_index, sequence_value, shard_count):
    if not 0 <= shard_index < shard_count <= 1 << SHARD_BITS:
        raise ValueError(f"shard {shard_index} of {shard_count}: at most {1 << SHARD_BITS} shards")
    return (sequence_value << SHARD_BITS) | shard_index


class ShardedUsers:
    def __init__(self, shard_dsns):
        self.pools = [
            ConnectionPool(dsn, min_size=1, max_size=4, kwargs={"autocommit": True}, open=True) for dsn in shard_dsns
        ]

    def _pool(self, user_id):
        return self.pools[stable_hash(f"user:{user_id}") % len(self.pools)]

    def _scatter(self, sql, params=()):
        results = [None] * len(self.pools)
        errors = []

        def ask(i):
            try:
                with self.pools[i].connection() as conn:
                    results[i] = conn.execute(sql, params).fetchall()
            except Exception as exc:
                errors.append(exc)

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(self.pools))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        return results

    def put(self, user_id, name, score):
        with self._pool(user_id).connection() as conn:
            conn.execute(
                "INSERT INTO users AS u (id, name, score) VALUES (%s, %s, %s) "
                "ON CONFLICT (id) DO UPDATE SET name = excluded.name, score = excluded.score",
                (user_id, name, score),
            )

    def get(self, user_id):
        with self._pool(user_id).connection() as conn:
            row = conn.execute("SELECT name, score FROM users WHERE id = %s", (user_id,)).fetchone()
        return {"id": user_id, "name": row[0], "score": row[1]} if row else None

    def count(self):
        return sum(rows[0][0] for rows in self._scatter("SELECT count(*) FROM users"))

    def average_score(self):
        total = n = 0
        for rows in self._scatter("SELECT sum(score), count(score) FROM users"):
            total += rows[0][0] or 0
            n += rows[0][1]
        return total / n if n else 0.0

    def top(self, k):
        rows = [
            r
            for part in self._scatter("SELECT id, score FROM users ORDER BY score DESC, id LIMIT %s", (k,))
            for r in part
        ]
        rows.sort(key=lambda r: (-r[1], r[0]))
        return [(r[0], r[1]) for r in rows[:k]]

    def close(self):
        for pool in self.pools:
            pool.close()
