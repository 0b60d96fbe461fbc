"""Kata 18 — sharding. Run: pytest katas/18_sharding  (one level: --level 2)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from itertools import count as counter

import psycopg
import pytest
import sharding

from dojo.race import in_background, pythonpath_for, run_concurrently

level = pytest.mark.level

USERS = "CREATE TABLE users (id bigint PRIMARY KEY, name text, score int)"
KEYS = [f"user:{i}" for i in range(10_000)]
FOUR = [f"shard-{i}" for i in range(4)]


@pytest.fixture(scope="module")
def databases(module_make_pg_dsn) -> list[str]:
    """Five databases for this module: four shards and a spare (creating databases per test costs seconds)."""
    return [module_make_pg_dsn() for _ in range(5)]


@pytest.fixture(scope="module")
def observer(pg_admin_dsn, databases: list[str]) -> Iterator[psycopg.Connection]:
    """The harness's own view of pg_stat_activity (every session of the server)."""
    with psycopg.connect(pg_admin_dsn(databases[0]), autocommit=True) as c:
        yield c


@pytest.fixture
def shard_dsns(databases: list[str]) -> list[str]:
    """Four shard databases, each with the given, empty `users` table (and nothing else)."""
    for dsn in databases:
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute(  # sessions an earlier test left open (a ShardedUsers never closed) go first
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() AND usename = current_user"
            )
            c.execute("DROP TABLE IF EXISTS users, all_users")
            c.execute("DROP SEQUENCE IF EXISTS user_ids")
            c.execute(USERS)
    return databases[:4]


@pytest.fixture
def spare_dsn(databases: list[str], shard_dsns: list[str]) -> str:
    """A fifth database with its own empty `users` table: a single shard, or a single-table oracle."""
    return databases[4]


@pytest.fixture
def sharded(shard_dsns: list[str]) -> Iterator[Callable[..., sharding.ShardedUsers]]:
    """ShardedUsers(dsns) (the four shards by default), closed after the test."""
    made: list[sharding.ShardedUsers] = []

    def make(dsns: list[str] | None = None) -> sharding.ShardedUsers:
        made.append(sharding.ShardedUsers(dsns if dsns is not None else shard_dsns))
        return made[-1]

    yield make
    for users in made:
        users.close()


def rows_per_shard(dsns: list[str]) -> list[dict[int, tuple[str, int]]]:
    """What each shard database holds, read directly: {id: (name, score)} per shard."""
    found = []
    for dsn in dsns:
        with psycopg.connect(dsn) as c:
            found.append({r[0]: (r[1], r[2]) for r in c.execute("SELECT id, name, score FROM users")})
    return found


def oracle(dsn: str, users: dict[int, tuple[str, int]]) -> psycopg.Connection:
    """One ordinary table holding the same users: the answers sharding must reproduce."""
    c = psycopg.connect(dsn, autocommit=True)
    c.execute("CREATE TABLE all_users (id bigint PRIMARY KEY, name text, score int)")
    with c.cursor().copy("COPY all_users (id, name, score) FROM STDIN") as copy:
        for user_id, (name, score) in users.items():
            copy.write_row((user_id, name, score))
    return c


def in_another_process(script: str, seed: str, env: dict[str, str] | None = None) -> str:
    """Run `script` in a fresh Python that imports the same `sharding`, with its own PYTHONHASHSEED."""
    run = subprocess.run(
        [sys.executable, "-c", script],
        env={**pythonpath_for(sharding), "PYTHONHASHSEED": seed, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if run.returncode != 0:
        lines = run.stderr.strip().splitlines() or ["(no output)"]
        where = next((line.strip() for line in reversed(lines) if line.lstrip().startswith("File ")), "")
        raise AssertionError(f"the second process failed: {lines[-1]}" + (f" ({where})" if where else ""))
    return run.stdout


HASHES = """
import json, sharding
print(json.dumps({"hashes": [sharding.stable_hash(f"user:{i}") for i in range(500)]}))
"""
ROUTING = """
import json, sharding
ring = sharding.HashRing(["shard-0", "shard-1", "shard-2", "shard-3"])
print(json.dumps({
    "ring": [ring.node_for(f"user:{i}") for i in range(2000)],
    "ranges": [sharding.range_node(k, [100, 200, 300], ["a", "b", "c", "d"]) for k in range(-5, 400, 7)],
}))
"""


def asked_at_once(call: Callable[[], object], dsns: list[str], observer: psycopg.Connection) -> tuple[object, int]:
    """Run `call` while another transaction locks every shard's users table; return its result and the
    largest number of shards on which a query was seen waiting for that lock at the same moment."""
    names = [psycopg.conninfo.conninfo_to_dict(d)["dbname"] for d in dsns]
    holders = [psycopg.connect(d) for d in dsns]
    waiting = 0
    try:
        for h in holders:
            h.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        running = in_background(call)
        deadline = time.monotonic() + 3  # a parallel query reaches every shard within milliseconds
        while waiting < len(names) and time.monotonic() < deadline and running.thread.is_alive():
            (now,) = observer.execute(
                "SELECT count(DISTINCT datname) FROM pg_stat_activity "
                "WHERE datname = ANY(%s) AND wait_event_type = 'Lock'",
                (names,),
            ).fetchone()
            waiting = max(waiting, now)
            time.sleep(0.005)
    finally:
        for h in holders:
            h.rollback()
            h.close()
    return running.result(30), waiting


def moved(before: Callable[[str], str], after: Callable[[str], str]) -> list[tuple[str, str, str]]:
    """(key, old node, new node) for every key of KEYS whose node changed."""
    return [(k, a, b) for k in KEYS if (a := before(k)) != (b := after(k))]


def max_over_mean(node_for: Callable[[str], str], nodes: list[str]) -> float:
    load = Counter(node_for(k) for k in KEYS)
    return max(load[n] for n in nodes) / (len(KEYS) / len(nodes))


def snapshot(ring: sharding.HashRing) -> dict[str, str]:
    return {k: ring.node_for(k) for k in KEYS}


@level(1)
class TestCore:
    def test_stable_hash_is_an_int_that_depends_only_on_the_key(self):
        values = [sharding.stable_hash(k) for k in KEYS]
        assert all(isinstance(v, int) for v in values), "stable_hash must return an int"
        assert values == [sharding.stable_hash(k) for k in KEYS], "stable_hash gave two answers for one key"
        assert len(set(values)) >= 0.999 * len(KEYS), (
            f"10,000 different keys got only {len(set(values))} different hashes: mix every character of the key"
        )

    def test_stable_hash_is_the_same_in_another_process(self):
        here = {
            "hashes": [sharding.stable_hash(f"user:{i}") for i in range(500)],
        }
        for seed in ("1", "2"):
            there = json.loads(in_another_process(HASHES, seed))
            assert there["hashes"] == here["hashes"], (
                f"a second Python process (PYTHONHASHSEED={seed}) computed other hashes for the same keys: "
                "Python's hash() of a str changes with every interpreter — use a fixed function (hashlib, crc32)"
            )

    def test_hash_sharding_spreads_keys_evenly(self):
        for shards in (2, 3, 4, 5, 8):
            load = Counter(sharding.stable_hash(k) % shards for k in KEYS)
            worst = max(load[i] for i in range(shards)) / (len(KEYS) / shards)
            assert worst <= 1.1, (
                f"stable_hash(key) % {shards} put {worst:.2f}× the mean on one shard: the hash does not spread "
                "similar keys (user:1, user:2, …) evenly — use a hash that mixes every bit (md5, blake2b, sha1)"
            )

    def test_the_ring_sends_each_key_to_one_of_its_nodes(self):
        ring = sharding.HashRing(FOUR)
        nodes = [ring.node_for(k) for k in KEYS[:2000]]
        assert set(nodes) == set(FOUR), f"2,000 keys went to {sorted(set(nodes))}: every node should get some"
        assert nodes == [ring.node_for(k) for k in KEYS[:2000]], "node_for gave two answers for one key"

    def test_range_node_uses_half_open_ranges(self):
        bounds, nodes = [100, 200], ["low", "mid", "high"]
        cases = {-7: "low", 0: "low", 99: "low", 100: "mid", 199: "mid", 200: "high", 10**12: "high"}
        got = {k: sharding.range_node(k, bounds, nodes) for k in cases}
        assert got == cases, (
            f"range_node gave {got}: ranges are half-open [lo, hi) — 100 starts 'mid', 200 starts 'high'"
        )
        assert sharding.range_node(5, [], ["only"]) == "only", "with no bounds every key goes to the one node"

    def test_id_for_never_gives_two_shards_the_same_id(self):
        for shards in (1, 2, 4, 16):
            ids = [sharding.id_for(s, v, shards) for s in range(shards) for v in range(1, 3_001)]
            dupes = len(ids) - len(set(ids))
            assert dupes == 0, (
                f"with {shards} shards, sequence values 1–3000 on every shard gave {dupes} duplicate ids: "
                "make the shard part of the id (e.g. value * shard_count + shard_index)"
            )

    def test_put_then_get_and_a_missing_user(self, sharded):
        users = sharded()
        users.put(42, "Ada", 97)
        assert users.get(42) == {"id": 42, "name": "Ada", "score": 97}, "get must return the user put"
        assert users.get(43) is None, "get of a user never put must return None"

    def test_put_replaces_a_user(self, sharded, shard_dsns):
        users = sharded()
        users.put(7, "Grace", 10)
        users.put(7, "Grace Hopper", 99)
        assert users.get(7) == {"id": 7, "name": "Grace Hopper", "score": 99}, "a second put replaces the user"
        stored = [shard[7] for shard in rows_per_shard(shard_dsns) if 7 in shard]
        assert stored == [("Grace Hopper", 99)], f"user 7 is stored as {stored}: exactly one row, on one shard"

    def test_count_average_and_top_over_all_shards(self, sharded):
        users = sharded()
        assert (users.count(), users.average_score(), users.top(3)) == (0, 0.0, []), (
            "with no users: count 0, average_score 0.0, top []"
        )
        for user_id, score in {1: 10, 2: 40, 3: 40, 4: 5, 5: 90}.items():
            users.put(user_id, f"user {user_id}", score)
        n = users.count()
        assert n == 5, f"count() is {n} after 5 users were put: add up every shard's count"
        assert users.average_score() == pytest.approx(37.0), "average_score is the mean of every user's score"
        assert users.top(3) == [(5, 90), (2, 40), (3, 40)], "top: highest score first, ties by id"


@level(2)
class TestEdges:
    def test_users_spread_over_every_shard_one_row_each(self, sharded, shard_dsns):
        users = sharded()
        for i in range(1, 401):
            users.put(i, f"user {i}", i % 100)
        held = rows_per_shard(shard_dsns)
        sizes = [len(h) for h in held]
        assert sum(sizes) == 400 and len(set().union(*held)) == 400, (
            f"the shards hold {sizes} rows for 400 users: each user must be stored on exactly one shard"
        )
        assert min(sizes) >= 40, f"400 users were spread {sizes} over 4 shards: route by a hash of the id"
        for i in range(1, 401):
            users.put(i, f"renamed {i}", i)
        again = rows_per_shard(shard_dsns)
        assert [set(h) for h in again] == [set(h) for h in held], (
            "putting the same users again moved some of them to another shard: routing must depend on the id only"
        )

    def test_adding_a_fifth_node_moves_few_keys_and_only_to_it(self):
        ring = sharding.HashRing(FOUR)
        before = snapshot(ring)
        ring.add("shard-4")
        changed = moved(before.__getitem__, ring.node_for)
        share = len(changed) / len(KEYS)
        assert share <= 0.30, (
            f"adding a fifth node to four moved {share:.0%} of 10,000 keys (ideal: 20%): "
            "hash % len(nodes) moves most keys — place nodes on a ring"
        )
        strays = [c for c in changed if c[2] != "shard-4"]
        assert not strays, (
            f"{len(strays)} keys moved between old nodes, e.g. {strays[:3]}: keys may only move to the new node"
        )

    def test_removing_a_node_moves_only_its_keys(self):
        ring = sharding.HashRing(FOUR + ["shard-4"])
        before = snapshot(ring)
        ring.remove("shard-2")
        changed = moved(before.__getitem__, ring.node_for)
        wrong = [c for c in changed if c[1] != "shard-2"]
        assert not wrong, f"removing shard-2 moved {len(wrong)} keys of other nodes, e.g. {wrong[:3]}"
        assert all(ring.node_for(k) != "shard-2" for k in KEYS), "a removed node must receive no key"
        assert len(changed) == list(before.values()).count("shard-2"), "every key of the removed node must move"

    @pytest.mark.parametrize("nodes", [4, 5])
    def test_virtual_nodes_keep_the_load_within_30_percent_of_the_mean(self, nodes):
        names = [f"shard-{i}" for i in range(nodes)]
        ring = sharding.HashRing(names, vnodes=100)
        worst = max_over_mean(ring.node_for, names)
        assert worst <= 1.3, (
            f"with {nodes} nodes and 100 virtual nodes each, one node got {worst:.2f}× the mean of 10,000 keys: "
            "place `vnodes` points per node on the ring (hash of f'{node}#{i}'), with a hash that mixes well"
        )

    def test_the_ring_depends_on_its_nodes_not_on_their_order(self):
        a = sharding.HashRing(FOUR)
        b = sharding.HashRing(list(reversed(FOUR)))
        c = sharding.HashRing(FOUR[:2])
        for node in FOUR[2:]:
            c.add(node)
        differ = sum(a.node_for(k) != b.node_for(k) or a.node_for(k) != c.node_for(k) for k in KEYS)
        assert differ == 0, (
            f"{differ} keys routed differently by rings with the same nodes given in another order: two app "
            "servers configured alike must agree"
        )

    def test_top_breaks_ties_by_id_across_shards(self, sharded):
        users = sharded()
        ids = random.Random(18).sample(range(1, 100_000), 60)
        for user_id in ids:
            users.put(user_id, "tied", 50)
        users.put(5, "best", 51)
        expected = [(5, 51)] + [(i, 50) for i in sorted(ids)[:9]]
        assert users.top(10) == expected, (
            "60 users tie at 50 across the shards: after the best, top(10) must list the lowest ids first"
        )
        assert len(users.top(1_000)) == 61, "top(k) with k above the number of users returns them all"

    def test_global_answers_equal_a_single_table(self, sharded, spare_dsn):
        rng = random.Random(1809)
        data = {rng.randrange(1, 10**9): (f"user {i}", rng.randrange(0, 1_000)) for i in range(2_000)}
        users = sharded()
        for user_id, (name, score) in data.items():
            users.put(user_id, name, score)
        with oracle(spare_dsn, data) as single:
            n, avg = single.execute("SELECT count(*), avg(score)::float8 FROM all_users").fetchone()
            top = [
                tuple(r) for r in single.execute("SELECT id, score FROM all_users ORDER BY score DESC, id LIMIT 100")
            ]
        assert users.count() == n, f"count() is {users.count()}; one table holding the same users counts {n}"
        assert users.average_score() == pytest.approx(avg, abs=1e-6), (
            f"average_score() is {users.average_score()}, the true mean is {avg}: combine the shards' sums and "
            "counts — the mean of the shards' means weighs a small shard like a big one"
        )
        assert users.top(100) == top, (
            "top(100) differs from ORDER BY score DESC, id LIMIT 100 on one table: take each shard's top k "
            "(not k / shards) and merge"
        )
        some = rng.sample(sorted(data), 50)
        got = [users.get(i) for i in some]
        expected = [{"id": i, "name": data[i][0], "score": data[i][1]} for i in some]
        assert got == expected, (
            f"get differs from the one table for {sum(g != e for g, e in zip(got, expected))} of 50 users, e.g. "
            f"{next((g, e) for g, e in zip(got, expected) if g != e)} (got, expected): get must ask the shard the "
            "id routes to, the one put wrote to"
        )


@level(3)
class TestConcurrency:
    def test_scatter_gather_asks_every_shard_at_once(self, sharded, shard_dsns, observer):
        users = sharded()
        for i in range(1, 41):
            users.put(i, f"user {i}", i)
        result, waiting = asked_at_once(users.count, shard_dsns, observer)
        assert waiting == len(shard_dsns), (
            f"while every shard was busy, count() was waiting on {waiting} of {len(shard_dsns)} shards at once: "
            "it asks them one after another — send the query to every shard in parallel (a thread per shard)"
        )
        assert result == 40, f"count() returned {result}, expected 40"

    @pytest.mark.parametrize("query", ["average_score", "top"])
    def test_every_global_answer_asks_every_shard_at_once(self, sharded, shard_dsns, observer, query):
        users = sharded()
        for i in range(1, 41):
            users.put(i, f"user {i}", i)
        call = users.average_score if query == "average_score" else lambda: users.top(5)
        result, waiting = asked_at_once(call, shard_dsns, observer)
        assert waiting == len(shard_dsns), (
            f"while every shard was busy, {query}() was waiting on {waiting} of {len(shard_dsns)} shards at once: "
            "scatter-gather sends its query to every shard in parallel"
        )
        expected = {"average_score": 20.5, "top": [(40, 40), (39, 39), (38, 38), (37, 37), (36, 36)]}[query]
        assert result == expected, f"{query}() returned {result}, expected {expected}"

    def test_users_written_by_another_process_are_found_here(self, sharded, shard_dsns):
        script = """
import json, os, sharding
users = sharding.ShardedUsers(json.loads(os.environ["SHARD_DSNS"]))
try:
    for i in range(1, 301):
        users.put(i * 7919, f"user {i}", i % 50)
finally:
    users.close()
"""
        in_another_process(script, "3", {"SHARD_DSNS": json.dumps(shard_dsns)})
        users = sharded()
        missing = [
            i for i in range(1, 301) if users.get(i * 7919) != {"id": i * 7919, "name": f"user {i}", "score": i % 50}
        ]
        assert not missing, (
            f"{len(missing)} of 300 users written by another process were not found here: both processes must "
            "route a user id to the same shard (a stable hash, the shards in the order given)"
        )
        n = users.count()
        assert n == 300, (
            f"get finds all 300 users written by another process, yet count() is {n}: add up every shard's count"
        )

    def test_routing_agrees_with_another_process(self):
        ring = sharding.HashRing(FOUR)
        here = [ring.node_for(f"user:{i}") for i in range(2000)]
        ranges = [sharding.range_node(k, [100, 200, 300], ["a", "b", "c", "d"]) for k in range(-5, 400, 7)]
        there = json.loads(in_another_process(ROUTING, "4"))
        assert there["ring"] == here, "a second process routed keys to other nodes of the same ring"
        assert there["ranges"] == ranges, (
            "a second process gave other range_node answers for the same keys and bounds, e.g. (key, here, there) "
            f"{[(k, a, b) for k, a, b in zip(range(-5, 400, 7), ranges, there['ranges']) if a != b][:3]}: "
            "range_node must depend on the key and the bounds only"
        )

    def test_concurrent_puts_from_16_threads_all_land(self, sharded, shard_dsns):
        users = sharded()

        def writer(i: int) -> None:
            for j in range(25):
                users.put(i * 1000 + j, f"w{i}", j)

        run_concurrently(writer, 16)
        assert users.count() == 400, f"16 threads put 400 users through one ShardedUsers; count() is {users.count()}"
        stored = sum(len(h) for h in rows_per_shard(shard_dsns))
        assert stored == 400, (
            f"count() says 400, but other connections see {stored} rows on the shards: commit every put, whichever "
            "thread makes it"
        )

    def test_ids_from_per_shard_sequences_are_unique(self, shard_dsns):
        def draw(shard: int) -> list[int]:
            with psycopg.connect(shard_dsns[shard], autocommit=True) as c:
                c.execute("CREATE SEQUENCE IF NOT EXISTS user_ids")
                return [
                    sharding.id_for(shard, c.execute("SELECT nextval('user_ids')").fetchone()[0], len(shard_dsns))
                    for _ in range(300)
                ]

        ids = [i for batch in run_concurrently(draw, len(shard_dsns)) for i in batch]
        assert len(set(ids)) == len(ids), (
            f"four shards, each with its own sequence, gave {len(ids) - len(set(ids))} duplicate ids through id_for"
        )
        assert all(0 < i < 2**63 for i in ids), "ids must be positive and fit in a bigint"


@level(4)
class TestEvidence:
    def test_a_ring_moves_a_fifth_of_the_keys_where_modulo_moves_most(self, evidence):
        ring = sharding.HashRing(FOUR)
        before = snapshot(ring)
        ring.add("shard-4")
        ring_moved = len(moved(before.__getitem__, ring.node_for)) / len(KEYS)
        five = FOUR + ["shard-4"]
        modulo_moved = len(
            moved(lambda k: FOUR[sharding.stable_hash(k) % 4], lambda k: five[sharding.stable_hash(k) % 5])
        ) / len(KEYS)
        evidence.record(
            "keys moved when a fifth shard joins four",
            round(100 * ring_moved, 1),
            "%",
            detail=f"consistent hashing {ring_moved:.1%} (ideal 20%); hash % shards {modulo_moved:.1%}",
        )
        balanced = max_over_mean(sharding.HashRing(five, vnodes=100).node_for, five)
        lumpy = max_over_mean(sharding.HashRing(five, vnodes=1).node_for, five)
        evidence.record(
            "busiest of five nodes, × the mean load",
            round(balanced, 2),
            "×",
            detail=f"100 virtual nodes each: {balanced:.2f}×; one point each: {lumpy:.2f}×",
        )
        assert ring_moved <= 0.30 and balanced <= 1.3, (
            f"a fifth node moved {ring_moved:.0%} of the keys (at most 30%) and the busiest of five nodes got "
            f"{balanced:.2f}× the mean load (at most 1.3×): place `vnodes` points per node on a ring"
        )
        assert modulo_moved > 0.6, "harness check: hash % shards should move most keys"

    def test_write_throughput_with_four_shards_against_one(self, sharded, shard_dsns, spare_dsn, evidence):
        one, four = sharded([spare_dsn]), sharded()
        ids = counter(1)
        lock = threading.Lock()

        def next_id() -> int:
            with lock:
                return next(ids)

        def eight_writers(put: Callable[[int, int], None]) -> Callable[[], None]:
            def batch() -> None:
                def writer(i: int) -> None:
                    for _ in range(30):
                        user_id = next_id()
                        put(i, user_id)

                run_concurrently(writer, 8, timeout_s=60)

            return batch

        result = evidence.compare(
            "write throughput, 4 shards vs 1 (8 writers × 30 puts, one machine)",
            eight_writers(lambda i, u: one.put(u, "w", u % 1000)),
            eight_writers(lambda i, u: four.put(u, "w", u % 1000)),
            claim="4× write throughput with 4 shards",
            repeats=5,
        )
        sizes = [len(h) for h in rows_per_shard(shard_dsns)]
        busiest = max(sizes) / (sum(sizes) / len(sizes))
        evidence.record(
            "writes on the busiest of 4 shards, × the mean",
            round(busiest, 2),
            "×",
            detail=f"rows per shard after the sharded batches: {sizes}",
        )
        assert busiest <= 1.3, f"the sharded writes landed unevenly: {sizes} rows per shard"
        # One machine: both variants share the same cores and one server, so the ratio shows what four
        # machines would do only where the server's CPU is idle. Measured here: about 1× (0.75–1.4×). The
        # bound is a third of the lowest ratio seen: four shards must not be four times slower than one.
        assert result.ratio >= 0.25, f"four shards wrote {1 / result.ratio:.1f}× slower than one: {result}"
