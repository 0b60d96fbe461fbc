"""Kata 01 — cache-aside. Run: pytest katas/01_cache  (one level: --level 2)."""

from __future__ import annotations

import importlib.util
import itertools
import json
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from typing import Any

import cache
import psycopg
import pytest
from psycopg import sql

from dojo.measure import count_statements, statement_calls
from dojo.measure.redis import keys_without_expiry
from dojo.race import ReadBarrier, crash_points, in_background, run_concurrently

level = pytest.mark.level

PRODUCTS = 50  # ids 1..50 exist; anything else does not
REVIEWS = 100_000  # no index on reviews.product_id: every load scans them all, like a real slow query
MISSING = 999

# Seeded once per test module: the reviews are only read. Each test gets its own products
# table, in a schema of its own, so tests never see each other's updates.
REVIEWS_TABLE = f"""
CREATE UNLOGGED TABLE reviews (product_id int NOT NULL, rating int NOT NULL, body text NOT NULL);
INSERT INTO reviews SELECT 1 + g % {PRODUCTS}, 1 + g * 7919 % 5, 'review ' || g FROM generate_series(1, {REVIEWS}) g;
"""
PRODUCTS_TABLE = f"""
CREATE TABLE products (
    id int PRIMARY KEY, name text NOT NULL, price_cents int NOT NULL, description text,
    tags text[] NOT NULL, discontinued boolean NOT NULL);
INSERT INTO products
SELECT i, 'Product ' || i, 100 * i + 99, CASE WHEN i % 3 = 0 THEN NULL ELSE 'About product ' || i END,
       ARRAY['tag' || i % 5, 'tag' || i % 7], i % 10 = 0
FROM generate_series(1, {PRODUCTS}) i;
"""

# The product page's query: the product joined with its aggregated reviews.
PRODUCT_QUERY = """
SELECT p.id, p.name, p.price_cents, p.description, p.tags, p.discontinued,
       count(r.rating)::int AS reviews, coalesce(round(avg(r.rating), 2), 0)::float8 AS rating
FROM products p LEFT JOIN reviews r ON r.product_id = p.id
WHERE p.id = %s
GROUP BY p.id
"""
COLUMNS = ("id", "name", "price_cents", "description", "tags", "discontinued", "reviews", "rating")
EDITABLE = {"name", "price_cents", "description", "tags", "discontinued"}


class Shop:
    """The database behind the cache: `load` and `save` as the contract passes them, counted.

    Each thread gets its own connection, so a save's open transaction and a concurrent load
    behave as in production (the load sees the last committed row). One-shot hooks let a test
    stop a load right after its query, or a save right before its commit.
    """

    def __init__(self, dsn: str, schema: str) -> None:
        self.dsn = dsn
        self.options = f"-c search_path={schema},public"
        self.loads = 0
        self.saves = 0
        self.after_query: Callable[[int], None] | None = None  # called once, inside the next load
        self.before_commit: Callable[[int], None] | None = None  # called once, inside the next save
        self._lock = threading.Lock()
        self._local = threading.local()
        self._connections: list[psycopg.Connection] = []

    def connection(self) -> psycopg.Connection:
        c = getattr(self._local, "conn", None)
        if c is None:
            c = self._local.conn = psycopg.connect(self.dsn, autocommit=True, options=self.options)
            with self._lock:
                self._connections.append(c)
        return c

    def query(self, product_id: int) -> dict | None:
        """The expensive query itself, uncounted (the baseline and the oracle)."""
        row = self.connection().execute(PRODUCT_QUERY, (product_id,)).fetchone()
        return dict(zip(COLUMNS, row)) if row else None

    def load(self, product_id: int) -> dict | None:
        with self._lock:
            self.loads += 1
            hook, self.after_query = self.after_query, None
        product = self.query(product_id)
        if hook:
            hook(product_id)
        return product

    def save(self, product_id: int, changes: dict) -> None:
        with self._lock:
            self.saves += 1
            hook, self.before_commit = self.before_commit, None
        assert changes and set(changes) <= EDITABLE, f"test bug: cannot change {set(changes) - EDITABLE}"
        c = self.connection()
        with c.transaction():
            assignments = sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(k)) for k in changes)
            c.execute(
                sql.SQL("UPDATE products SET {} WHERE id = %s").format(assignments), [*changes.values(), product_id]
            )
            if hook:
                hook(product_id)  # the UPDATE is done but not committed: other connections see the old row

    def close(self) -> None:
        for c in self._connections:
            c.close()


@pytest.fixture(scope="module")
def shop_dsn(module_pg_dsn: str) -> str:
    """One database per test module, seeded once (seeding per test costs more than the tests themselves)."""
    with psycopg.connect(module_pg_dsn, autocommit=True) as c:
        c.execute(REVIEWS_TABLE)
    return module_pg_dsn


_schemas = itertools.count(1)


@pytest.fixture
def shop(shop_dsn: str) -> Iterator[Shop]:
    schema = f"shop_{next(_schemas)}"
    with psycopg.connect(shop_dsn, autocommit=True) as c:
        c.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        c.execute(sql.SQL("SET search_path = {}").format(sql.Identifier(schema)))
        c.execute(PRODUCTS_TABLE)
    s = Shop(shop_dsn, schema)
    yield s
    s.close()


@pytest.fixture
def second_server() -> Iterator[Any]:
    """The module under test loaded a second time: another app server, with its own globals.

    A lock kept in Python (threading.Lock) protects one process; Redis is what the servers share.
    """
    name = f"{cache.__name__}_on_a_second_server"
    spec = importlib.util.spec_from_file_location(name, cache.__file__)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(name, None)


def cached_json(r, key: str) -> Any:
    """The JSON document stored at `key` (a JSON string, or a RedisJSON value)."""
    kind = r.type(key)
    assert kind != "none", f"nothing was cached at {key}"
    if kind == "string":
        return json.loads(r.get(key))
    if kind == "ReJSON-RL":
        return r.json().get(key)
    pytest.fail(f"{key} is a Redis {kind}; the product must be cached as one JSON document")


def pttl_s(r, key: str) -> float:
    ms = r.pttl(key)
    assert ms != -2, f"nothing was cached at {key}"
    assert ms != -1, f"{key} was cached without an expiry: it would be served stale forever"
    return ms / 1000


class LockstepReads:
    """Hold each thread's first `rounds` read replies until all `parties` threads made that read.

    Round 1 is the cache lookup, round 2 whatever is read next (e.g. "is somebody loading?"):
    a check-then-set lets every thread see "nobody" before anyone sets, every run. Correct code
    never has all threads reading at once in round 2 and pays one idle pause (0.25 s).
    """

    def __init__(self, parties: int, rounds: int = 2, commands: tuple[str, ...] = ("GET", "EXISTS", "MGET", "GETEX")):
        self._barriers = [ReadBarrier(parties, commands) for _ in range(rounds)]
        self._commands = {c.upper() for c in commands}
        self._seen = threading.local()

    def __call__(self, command: str, args: tuple) -> None:
        if command not in self._commands:
            return
        n = getattr(self._seen, "n", 0)
        self._seen.n = n + 1
        if n < len(self._barriers):
            self._barriers[n](command, args)


@level(1)
class TestCore:
    def test_a_miss_loads_the_product_from_the_source(self, r, shop):
        product = cache.get_product(r, 7, shop.load)
        assert product == shop.query(7), "get_product must return what load(product_id) returned"
        assert shop.loads == 1, f"one miss must call load once, not {shop.loads} times"

    def test_a_second_read_is_served_from_the_cache(self, r, shop):
        first = cache.get_product(r, 7, shop.load)
        second = cache.get_product(r, 7, shop.load)
        assert second == first, "the cached product must equal the loaded one"
        assert shop.loads == 1, "the second read reached the database: store the product in Redis on a miss"

    def test_the_product_is_cached_as_json_at_product_id(self, r, shop):
        product = cache.get_product(r, 7, shop.load)
        assert cached_json(r, "product:7") == product, "product:7 must hold the product as a JSON document"

    def test_a_missing_product_is_cached_too(self, r, shop):
        assert cache.get_product(r, MISSING, shop.load) is None, "a product that does not exist must read as None"
        assert cache.get_product(r, MISSING, shop.load) is None, "a cached miss must still read as None"
        assert shop.loads == 1, (
            "every read of a missing product reached the database: cache the miss too (negative caching), "
            "or anyone can flood the database by asking for ids that do not exist"
        )
        assert r.exists(f"product:{MISSING}"), f"the miss must be cached at product:{MISSING}"

    def test_after_update_product_the_next_read_sees_the_new_data(self, r, shop):
        cache.get_product(r, 7, shop.load)
        cache.update_product(r, 7, {"price_cents": 1234, "name": "Lamp (new)"}, shop.save)
        assert shop.saves == 1, "update_product must write through save(product_id, changes)"
        product = cache.get_product(r, 7, shop.load)
        assert (product["price_cents"], product["name"]) == (1234, "Lamp (new)"), (
            "the read after update_product returned the old product: invalidate product:{id} after saving"
        )

    def test_get_product_protected_reads_through_the_same_cache(self, r, shop):
        product = cache.get_product_protected(r, 7, shop.load)
        assert product == shop.query(7) and shop.loads == 1, "a miss must load the product once"
        assert cache.get_product_protected(r, 7, shop.load) == product and shop.loads == 1, (
            "the second protected read reached the database: it must be served from the cache"
        )
        assert cache.get_product(r, 7, shop.load) == product and shop.loads == 1, (
            "get_product_protected must fill the same cache (product:{id}) as get_product"
        )
        assert cache.get_product_protected(r, MISSING, shop.load) is None, "a missing product must read as None"
        assert cache.get_product_protected(r, MISSING, shop.load) is None and shop.loads == 2, (
            "get_product_protected must cache misses too"
        )


@level(2)
class TestExpiryAndEdges:
    def test_every_cached_product_expires_within_ttl_s(self, r, shop):
        cache.get_product(r, 1, shop.load)
        cache.get_product(r, 2, shop.load, ttl_s=30)
        cache.get_product_protected(r, 3, shop.load, ttl_s=20)
        for key, ttl_s in (("product:1", 300), ("product:2", 30), ("product:3", 20)):
            left = pttl_s(r, key)
            assert 0 < left <= ttl_s, f"{key} expires in {left:.1f} s; it was read with ttl_s={ttl_s}"

    def test_a_cached_miss_expires_within_60_s(self, r, shop):
        cache.get_product(r, MISSING, shop.load)
        cache.get_product_protected(r, MISSING + 1, shop.load, ttl_s=3600)
        for key in (f"product:{MISSING}", f"product:{MISSING + 1}"):
            left = pttl_s(r, key)
            assert 0 < left <= 60, (
                f"the cached miss {key} lives {left:.0f} s: keep misses at most 60 s, so a product "
                "created later shows up soon"
            )

    def test_a_hit_does_not_extend_the_entrys_life(self, r, shop):
        cache.get_product(r, 7, shop.load)
        r.pexpire("product:7", 5_000)  # as if 295 of its 300 seconds had passed
        cache.get_product(r, 7, shop.load)
        cache.get_product_protected(r, 7, shop.load)
        assert shop.loads > 1 or 0 < r.pttl("product:7") <= 5_000, (
            "a read pushed the entry's expiry back without reloading it: a popular product would then "
            "never expire, and a missed invalidation would stay stale forever"
        )

    def test_a_cached_product_keeps_its_types(self, r, shop):
        for product_id in (10, 30):  # one with a description, one without (NULL); both discontinued
            loaded = cache.get_product(r, product_id, shop.load)
            cached = cache.get_product(r, product_id, shop.load)
            assert isinstance(cached, dict), f"a cached product must come back as a dict, not {type(cached).__name__}"
            changed = {
                k: (type(loaded[k]).__name__, type(cached[k]).__name__)
                for k in loaded
                if type(loaded[k]) is not type(cached[k])
            }
            assert not changed, (
                f"types changed on the way through the cache (loaded → cached): {changed}; "
                "store one JSON document and parse it back"
            )
            assert cached == loaded, "the cached product must equal the loaded one"

    def test_a_failed_load_is_not_cached_and_does_not_block_the_next_reader(self, r, shop):
        def failing_load(product_id: int) -> dict | None:
            raise ConnectionError("the database went away")

        with pytest.raises(ConnectionError):
            cache.get_product(r, 7, failing_load)
        with pytest.raises(ConnectionError):
            cache.get_product_protected(r, 7, failing_load, wait_s=0.3)
        started = time.monotonic()
        product = cache.get_product_protected(r, 7, shop.load, wait_s=1.2)
        took = time.monotonic() - started
        assert product == shop.query(7), "after a failed load, the next read must load the product (not a cached None)"
        assert took < 1.0, (
            f"the next reader waited {took:.1f} s: when load raises, give up the 'I am loading' lock at once (finally)"
        )

    def test_waiting_for_another_loader_is_bounded_by_wait_s(self, r, make_redis, shop):
        loading, release = threading.Event(), threading.Event()
        shop.after_query = lambda _id: (loading.set(), release.wait(10))
        stuck = in_background(lambda: cache.get_product_protected(make_redis(), 7, shop.load))
        try:
            stuck.reaches(loading, "get_product_protected never called load on a cold cache")
            started = time.monotonic()
            waiter = in_background(lambda: cache.get_product_protected(r, 7, shop.query, wait_s=0.3))
            finished = waiter.join(1.5)
            took = time.monotonic() - started
            assert finished, "a caller waited for a stuck loader long past wait_s=0.3: stop waiting after wait_s"
            assert took < 1.5, f"a caller with wait_s=0.3 waited {took:.1f} s for a stuck loader"
            if waiter.error is None:
                assert waiter.value == shop.query(7), "after waiting, return the product (or raise), not something else"
        finally:
            release.set()
        stuck.result()

    def test_a_client_that_dies_between_any_two_steps_leaves_no_key_without_expiry(self, r, make_redis, shop):
        # The client is killed right after its 1st write, then (a fresh run) after its 2nd, ...: a
        # cold read (miss, "I am loading", fill), a protected one, and an update. Whatever it wrote
        # before dying must go away by itself, or readers wait on a dead loader (or read stale
        # data) for ever.
        operations = {
            "get_product": lambda c: cache.get_product(c, 7, shop.load),
            "get_product_protected": lambda c: cache.get_product_protected(c, 7, shop.load, wait_s=0.5),
            "a miss through get_product_protected": lambda c: cache.get_product_protected(c, MISSING, shop.load),
            "update_product": lambda c: cache.update_product(c, 7, {"name": "Lamp"}, shop.save),
        }
        for name, operation in operations.items():

            def setup(name=name) -> None:
                r.flushdb()
                if name == "update_product":
                    cache.get_product(r, 7, shop.load)  # a cached product, then the update

            setup()
            operation(r)  # a call that finishes: what it leaves without an expiry is by design
            lasting = set(keys_without_expiry(r))

            def check(point, name=name, lasting=lasting) -> None:
                immortal = sorted(set(keys_without_expiry(r)) - lasting)
                assert not immortal, (
                    f"{name}: the client died {point} and left {immortal} without an expiry (a call that finishes "
                    "leaves no such key): whatever a loader writes must expire by itself, the 'I am loading' "
                    "lock too (take it with SET NX PX, in one command)"
                )

            points = crash_points(make_redis, operation, check, setup=setup)
            assert points or name == "update_product", f"{name} wrote nothing to Redis on a cold cache"

    def test_the_loaders_lock_expires_on_its_own(self, r, make_redis, shop):
        loading, release = threading.Event(), threading.Event()
        shop.after_query = lambda _id: (loading.set(), release.wait(10))
        loader = in_background(lambda: cache.get_product_protected(make_redis(), 7, shop.load))
        try:
            loader.reaches(loading, "get_product_protected never called load on a cold cache")
            # If this loader's process died right now, whatever it wrote must still go away by itself.
            immortal = [k for k in r.scan_iter() if r.pttl(k) == -1]
            assert not immortal, (
                f"{immortal} has no expiry while a load is in flight: if the loader crashed, every later "
                "reader would wait on it forever (take the lock with SET NX PX)"
            )
        finally:
            release.set()
        loader.result()


@level(3)
class TestConcurrency:
    def test_a_read_while_the_save_is_in_flight_leaves_no_stale_entry(self, r, make_redis, shop):
        cache.get_product(r, 7, shop.load)  # a popular product: it is cached
        saving, commit = threading.Event(), threading.Event()
        shop.before_commit = lambda _id: (saving.set(), commit.wait(10))
        writer = in_background(lambda: cache.update_product(make_redis(), 7, {"price_cents": 1234}, shop.save))
        try:
            writer.reaches(saving, "update_product never called save")
            # The UPDATE is written but not committed. A reader arrives now:
            reader = in_background(lambda: cache.get_product(make_redis(), 7, shop.load))
            reader.join(1.0)
        finally:
            commit.set()
        writer.result()
        reader.result()
        assert cache.get_product(r, 7, shop.load)["price_cents"] == 1234, (
            "after update_product returned, reads still get the old price: a reader refilled the cache with "
            "the old row while the save was in flight. Invalidate AFTER the commit, not before the save"
        )

    def _a_loader_that_read_before_the_update(self, read, r, make_redis, shop) -> None:
        loaded_old, go_on = threading.Event(), threading.Event()
        shop.after_query = lambda _id: (loaded_old.set(), go_on.wait(10))
        reader = in_background(lambda: read(make_redis(), 7, shop.load))
        try:
            reader.reaches(loaded_old, "a read of an uncached product never called load")
            # The reader holds the OLD row and has not written it to the cache yet. The update
            # commits and invalidates; only then does the reader go on.
            writer = in_background(lambda: cache.update_product(make_redis(), 7, {"price_cents": 1234}, shop.save))
            writer.join(1.0)
        finally:
            go_on.set()
        assert reader.result()["price_cents"] in (799, 1234), "the racing reader must get the old or the new price"
        writer.result()
        assert cache.get_product(r, 7, shop.load)["price_cents"] == 1234, (
            "after update_product returned, reads still get the old price: a loader that read the row before "
            "the update cached it after the invalidation. Make the fill conditional, e.g. a lease/version that "
            "update_product revokes after the commit, checked atomically when the loader writes"
        )

    def test_a_loader_that_read_before_the_update_cannot_cache_the_old_row(self, r, make_redis, shop):
        self._a_loader_that_read_before_the_update(cache.get_product, r, make_redis, shop)

    def test_a_protected_loader_that_read_before_the_update_cannot_cache_the_old_row(self, r, make_redis, shop):
        self._a_loader_that_read_before_the_update(cache.get_product_protected, r, make_redis, shop)

    def test_20_concurrent_cold_readers_cause_exactly_one_load(self, make_redis, shop, second_server):
        # Each reader's first two reads (the cache lookup, then whatever it reads next) are held
        # until all 20 have made them: "is anyone loading? no → I'll load" lets everyone through.
        client = make_redis(on_reply=LockstepReads(20))
        servers = (cache, second_server)  # even threads on one app server, odd on another
        products = run_concurrently(lambda i: servers[i % 2].get_product_protected(client, 7, shop.load), 20)
        expected = shop.query(7)
        wrong = sum(p != expected for p in products)
        assert not wrong, f"{wrong} of 20 readers did not get the product: waiters must wait for the loader's value"
        assert shop.loads == 1, (
            f"20 readers of a cold key reached the database {shop.loads} times: exactly one may load, "
            "decided atomically in Redis (SET NX), shared by all app servers; the others wait for the cache "
            "(and whoever wins the lock looks in the cache once more: the value may have just arrived)"
        )

    def test_cold_reads_of_different_products_do_not_wait_for_each_other(self, make_redis, shop):
        started = {7: threading.Event(), 8: threading.Event()}
        overlapped: dict[int, bool] = {}

        def load(product_id: int) -> dict | None:
            started[product_id].set()
            overlapped[product_id] = started[15 - product_id].wait(1.0)
            return shop.load(product_id)

        readers = [
            in_background(lambda pid=pid: cache.get_product_protected(make_redis(), pid, load)) for pid in (7, 8)
        ]
        for w in readers:
            w.result()
        assert overlapped == {7: True, 8: True}, (
            "the load of one product waited for another product's load: stampede protection needs one lock "
            "per product (a key per product id), not one for the whole cache"
        )


def zipf_reads(n: int, products: int, seed: int = 1) -> list[int]:
    """n product ids, a few very popular, most rarely read (Zipf, s=1) — how real traffic looks."""
    weights = [1 / rank for rank in range(1, products + 1)]
    return random.Random(seed).choices(range(1, products + 1), weights=weights, k=n)


@level(4)
class TestEvidence:
    def test_1000_skewed_reads_reach_the_database_at_most_50_times(self, r, shop, evidence):
        reads = zipf_reads(1000, PRODUCTS)
        with psycopg.connect(shop.dsn, autocommit=True) as probe:
            try:  # PostgreSQL's own count, where pg_stat_statements is loaded (the embedded server)
                statement_calls(probe)
                counting = count_statements(probe)
            except psycopg.Error:
                counting = nullcontext([None])
            with counting as statements:
                for product_id in reads:
                    cache.get_product(r, product_id, shop.load)
        reduction = 100 * (1 - shop.loads / len(reads))
        evidence.record(
            "database load reduction, 1000 skewed reads of 50 products",
            round(reduction, 1),
            "%",
            claim="95% DB load reduction",
            detail=f"{shop.loads} loads for {len(reads)} reads ({len(set(reads))} distinct products)"
            + (f"; {statements[0]} statements seen by PostgreSQL" if statements[0] is not None else ""),
        )
        assert shop.loads <= PRODUCTS, (
            f"1000 reads of {PRODUCTS} products reached the database {shop.loads} times: each product should "
            "be loaded once, then served from Redis until it expires"
        )
        if statements[0] is not None:
            assert statements[0] <= PRODUCTS, f"PostgreSQL ran {statements[0]} statements for 1000 cached reads"

    @pytest.mark.perf
    def test_a_cached_read_is_at_least_10x_faster_than_the_query(self, r, shop, evidence):
        ids = range(1, 6)
        for product_id in ids:
            cache.get_product(r, product_id, shop.load)

        def query() -> None:
            for product_id in ids:
                shop.query(product_id)

        def cached() -> None:
            for product_id in ids:
                cache.get_product(r, product_id, shop.load)

        loads = shop.loads
        result = evidence.compare_best_of(
            "cached read vs the product query", query, cached, claim="22× (45 ms → 2 ms)", floor=10, repeats=9
        )
        assert shop.loads == loads, "the timed cached reads reached the database"
        assert result.ratio >= 10, (
            f"a cached read was only {result.ratio:.1f}× faster than the query ({result}): "
            "a hit must be one round trip to Redis and a JSON parse, nothing more"
        )
