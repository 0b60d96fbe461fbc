"""Kata 11 — production CRUD. Run: pytest katas/11_crud  (one level: --level 2)."""

from __future__ import annotations

import contextlib
import itertools
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone

import crud
import psycopg
import pytest
from psycopg import pq
from psycopg_pool import ConnectionPool, PoolTimeout

from dojo.measure import flush_stats, fresh_stats
from dojo.pg_race import ConnectionCrashed, Statement, crash_after, starts_with
from dojo.race import run_concurrently
from dojo.seeds import Seed

level = pytest.mark.level

USERS = """
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text UNIQUE NOT NULL,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX users_created_at_id ON users (created_at, id);
"""
MANY = 100_000  # enough that a page read through OFFSET is visibly expensive; the counts scale to millions
MANY_USERS = (
    USERS.replace("CREATE INDEX users_created_at_id ON users (created_at, id);", "")
    + f"""
INSERT INTO users (email, name, created_at)
SELECT 'user' || g || '@example.com', 'User ' || g, timestamptz '2024-01-01 00:00:00+00' + (g / 4) * interval '1 second'
FROM generate_series(1, {MANY}) g;
CREATE INDEX users_created_at_id ON users (created_at, id);
"""
)
EMPTY_TABLE = Seed("11_crud users", USERS)
MANY_ROWS = Seed("11_crud 100k users", MANY_USERS, vacuum=True)
pytestmark = pytest.mark.seed(EMPTY_TABLE)

KEYS = ("id", "email", "name", "created_at")
HOSTILE = [
    "'); DROP TABLE users; --",
    "Robert'); DELETE FROM users WHERE ('1' = '1",
    'O\'Brien "the quote" \\ backslash',
    "%s %(name)s {} $1 :name ?",
    "semi; colon -- comment /* c */ \n newline\ttab",
    "ünïcødé 名前 🎉",
]
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
_emails = itertools.count(1)


def email() -> str:
    return f"user{next(_emails)}@example.com"


@pytest.fixture
def other(pg_dsn: str) -> Iterator[psycopg.Connection]:
    """A second connection (autocommit) that sees only what was committed."""
    with psycopg.connect(pg_dsn, autocommit=True) as c:
        yield c


@pytest.fixture
def pools(pg_dsn: str) -> Iterator[Callable[..., ConnectionPool]]:
    """make_pool on the test's database; every pool made is closed when the test ends."""
    made: list[ConnectionPool] = []

    def make(size: int = 5) -> ConnectionPool:
        made.append(crud.make_pool(pg_dsn, size))
        return made[-1]

    yield make
    for pool in made:
        pool.close()


def insert_users(c: psycopg.Connection, rows: list[tuple[str, str, datetime]]) -> list[int]:
    """The test's own inserts (email, name, created_at), committed: the ids in order."""
    ids = [
        c.execute("INSERT INTO users (email, name, created_at) VALUES (%s, %s, %s) RETURNING id", row).fetchone()[0]
        for row in rows
    ]
    if not c.autocommit:
        c.commit()
    return ids


def names_of(c: psycopg.Connection) -> dict[int, str]:
    return dict(c.execute("SELECT id, name FROM users").fetchall())


def count_users(c: psycopg.Connection) -> int:
    return c.execute("SELECT count(*) FROM users").fetchone()[0]


def page_through(conn: psycopg.Connection, limit: int, between: Callable[[int], None] = lambda _: None) -> list[dict]:
    """Every page of list_users, following `after`; `between(page)` runs after each page."""
    rows: list[dict] = []
    after = None
    for page in range(1, 1000):
        batch = crud.list_users(conn, limit, after=after)
        assert len(batch) <= limit, f"list_users(limit={limit}) returned {len(batch)} rows"
        if not batch:
            return rows
        rows += batch
        after = (batch[-1]["created_at"], batch[-1]["id"])
        between(page)
    pytest.fail("paging never ended: list_users kept returning rows after the last page")


def server_backends(probe: psycopg.Connection) -> list[int]:
    """Pids of the client sessions in the test's database, other than the probe's own."""
    rows = probe.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' "
        "AND pid <> pg_backend_pid()"
    ).fetchall()
    return [r[0] for r in rows]


@contextlib.contextmanager
def round_trips(conn: psycopg.Connection) -> Iterator[list[int]]:
    """Round trips `conn` makes during the block, from libpq's own protocol trace.

    A round trip is the client sending and then reading the server's answer before it sends
    again: in the trace, a server (B) message right after a client (F) one. Pipelined and COPY
    traffic sends many messages before reading; a statement per row waits for every one.
    """
    result = [0]
    with tempfile.TemporaryFile("w+") as trace:
        conn.pgconn.trace(trace.fileno())
        if pq.version() >= 140000:
            conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            yield result
        finally:
            conn.pgconn.untrace()
        trace.seek(0)
        last = None
        for line in trace:
            fields = line.split("\t")
            direction = next((f for f in fields[:2] if f in ("F", "B")), None)
            if direction == "B" and last == "F":
                result[0] += 1
            last = direction or last


def table_reads(conn: psycopg.Connection, probe: psycopg.Connection) -> dict[str, int]:
    """The users table's scan counters (pg_stat_user_tables), with `conn`'s latest reads published."""
    if conn.info.transaction_status != pq.TransactionStatus.IDLE:
        conn.rollback()  # a read may have left its transaction open: its counters are reported when it ends
    flush_stats(conn)
    fresh_stats(probe)
    row = probe.execute(
        "SELECT seq_scan, seq_tup_read, coalesce(idx_scan, 0), coalesce(idx_tup_fetch, 0) "
        "FROM pg_stat_user_tables WHERE relname = 'users'"
    ).fetchone()
    return dict(zip(("seq_scan", "seq_tup_read", "idx_scan", "idx_tup_fetch"), row))


def rows_read(before: dict[str, int], after: dict[str, int]) -> tuple[int, int, int]:
    """(rows read, index scans, sequential scans) between two table_reads."""
    delta = {k: after[k] - before[k] for k in after}
    return delta["seq_tup_read"] + delta["idx_tup_fetch"], delta["idx_scan"], delta["seq_scan"]


class Fired:
    """A hook that remembers whether the hook it wraps raised (e.g. a crash happened)."""

    def __init__(self, hook: Callable[[Statement], None]) -> None:
        self.hook = hook
        self.fired = False

    def __call__(self, s: Statement) -> None:
        try:
            self.hook(s)
        except BaseException:
            self.fired = True
            raise


@level(1)
class TestCore:
    def test_create_user_returns_the_new_id_and_commits(self, conn, other):
        user_id = crud.create_user(conn, "ada@example.com", "Ada")
        assert isinstance(user_id, int), f"create_user must return the new id (an int), not {user_id!r}"
        row = other.execute("SELECT email, name FROM users WHERE id = %s", (user_id,)).fetchone()
        assert row == ("ada@example.com", "Ada"), (
            "another connection does not see the new user: commit before returning, or the insert is lost "
            "when the connection goes back to its pool"
        )

    def test_get_user_returns_the_four_columns_as_a_dict(self, conn, other):
        [user_id] = insert_users(other, [("ada@example.com", "Ada", T0)])
        user = crud.get_user(conn, user_id)
        assert isinstance(user, dict), f"get_user must return a dict, not {type(user).__name__}"
        assert {k: user.get(k) for k in KEYS} == {
            "id": user_id,
            "email": "ada@example.com",
            "name": "Ada",
            "created_at": T0,
        }, f"get_user must return id, email, name and created_at (a datetime) of the row, got {user}"
        assert crud.get_user(conn, user_id + 1000) is None, "get_user of an id that does not exist must return None"

    def test_update_user_changes_the_fields_and_says_whether_a_user_was_updated(self, conn, other):
        [user_id] = insert_users(other, [("ada@example.com", "Ada", T0)])
        assert crud.update_user(conn, user_id, name="Ada Lovelace") is True, (
            "update_user of an existing user returns True"
        )
        updated = crud.update_user(conn, user_id, email="ada@lovelace.example", name="A. L.")
        assert updated is True, (
            f"update_user(email=..., name=...) of an existing user returned {updated!r}, not True: both allowed "
            "fields may change in one call, in one UPDATE"
        )
        row = other.execute("SELECT email, name FROM users WHERE id = %s", (user_id,)).fetchone()
        assert row == ("ada@lovelace.example", "A. L."), (
            f"after update_user another connection reads {row}: change the columns asked for and commit"
        )
        assert crud.update_user(conn, user_id + 1000, name="Nobody") is False, (
            "update_user of an id that does not exist must return False (look at the cursor's rowcount)"
        )

    def test_delete_user_removes_the_row_and_says_whether_it_existed(self, conn, other):
        keep, gone = insert_users(other, [(email(), "Keep", T0), (email(), "Gone", T0)])
        assert crud.delete_user(conn, gone) is True, "delete_user of an existing user must return True"
        assert sorted(names_of(other)) == [keep], "after delete_user another connection must see only the other user"
        assert crud.delete_user(conn, gone) is False, "deleting the same user twice must return False the second time"

    def test_bulk_create_users_inserts_every_row_and_returns_the_count(self, conn, other):
        rows = [(f"bulk{i}@example.com", f"Bulk {i}") for i in range(500)]
        assert crud.bulk_create_users(conn, rows) == 500, "bulk_create_users must return how many rows it inserted"
        stored = set(other.execute("SELECT email, name FROM users").fetchall())
        assert stored == set(rows), "another connection must see exactly the rows given, committed"
        assert crud.bulk_create_users(conn, []) == 0, "an empty batch inserts nothing and returns 0"

    def test_rename_users_renames_every_user_given(self, conn, other):
        ids = insert_users(other, [(email(), f"Old {i}", T0) for i in range(4)])
        crud.rename_users(conn, {ids[0]: "New 0", ids[2]: "New 2"})
        assert names_of(other) == {ids[0]: "New 0", ids[1]: "Old 1", ids[2]: "New 2", ids[3]: "Old 3"}, (
            "rename_users must rename exactly the users given, and commit"
        )

    def test_list_users_returns_the_newest_first_one_page_at_a_time(self, conn, other):
        ids = insert_users(other, [(email(), f"User {i}", T0 + timedelta(minutes=i)) for i in range(7)])
        first = crud.list_users(conn, 3)
        assert [u["id"] for u in first] == ids[::-1][:3], "the first page must be the 3 newest users, newest first"
        assert {k: first[0].get(k) for k in KEYS} == crud.get_user(conn, ids[-1]), "rows must have the keys of get_user"
        after = (first[-1]["created_at"], first[-1]["id"])
        second = crud.list_users(conn, 3, after=after)
        assert [u["id"] for u in second] == ids[::-1][3:6], (
            "the second page must start right after the first page's last row (after=(created_at, id))"
        )
        last = crud.list_users(conn, 3, after=(second[-1]["created_at"], second[-1]["id"]))
        assert [u["id"] for u in last] == ids[:1], "the last page holds what is left"

    def test_make_pool_gives_an_open_pool_on_the_database(self, pools, other):
        pool = pools(size=2)
        assert isinstance(pool, ConnectionPool), f"make_pool must return a psycopg_pool.ConnectionPool, not {pool!r}"
        with pool.connection(timeout=10) as c:
            user_id = crud.create_user(c, "pooled@example.com", "Pooled")
        assert other.execute("SELECT name FROM users WHERE id = %s", (user_id,)).fetchone() == ("Pooled",), (
            "a pooled connection must reach the same database, and be usable without calling open()"
        )


@level(2)
class TestEdgesInput:
    def test_hostile_names_and_emails_round_trip_as_data(self, conn, other):
        ids = [crud.create_user(conn, f"{text}@example.com", text) for text in HOSTILE]
        for user_id, text in zip(ids, HOSTILE):
            user = crud.get_user(conn, user_id)
            assert user is not None and (user["email"], user["name"]) == (f"{text}@example.com", text), (
                f"{text!r} did not come back as it was stored: pass values as parameters (%s), never in the SQL text"
            )
        crud.update_user(conn, ids[0], name=HOSTILE[1], email=HOSTILE[2])
        crud.rename_users(conn, {ids[1]: HOSTILE[0]})
        crud.bulk_create_users(conn, [(f"bulk {text}", text) for text in HOSTILE])
        assert count_users(other) == 2 * len(HOSTILE), "the users table must survive hostile text, row for row"
        assert other.execute("SELECT email, name FROM users WHERE id = %s", (ids[0],)).fetchone() == (
            HOSTILE[2],
            HOSTILE[1],
        ), "update_user must store hostile text as data"
        assert names_of(other)[ids[1]] == HOSTILE[0], "rename_users must store hostile text as data"
        listed = {u["name"] for u in page_through(conn, 5)}
        assert set(HOSTILE) <= listed, "list_users must return hostile names as they were stored"

    def test_update_user_refuses_other_fields_and_sends_nothing(self, conn, other, pg_interposer):
        [user_id] = insert_users(other, [("ada@example.com", "Ada", T0)])
        pg_interposer.watch(conn, "conn")
        for fields in (
            {"id": 7},
            {"created_at": T0},
            {"is_admin": True},
            {"name = 'x' --": "x"},
            {"name": "Eve", "role": "admin"},
        ):
            with pytest.raises(ValueError):
                crud.update_user(conn, user_id, **fields)
        assert pg_interposer.statements["conn"] == 0, (
            f"update_user sent {pg_interposer.statements['conn']} statement(s) for fields it must refuse: "
            "check the field names against email and name before building any SQL"
        )
        assert other.execute("SELECT email, name FROM users").fetchall() == [("ada@example.com", "Ada")], (
            "a refused update changed the user"
        )

    def test_pages_have_no_duplicates_or_gaps_when_timestamps_tie_and_users_arrive(self, conn, other):
        # 40 users on 5 timestamps, inserted out of timestamp order, so ids alone do not give the order.
        stamps = [T0 + timedelta(seconds=s) for s in (30, 10, 40, 20, 0)]
        ids = insert_users(other, [(email(), f"User {i}", stamps[i % 5]) for i in range(40)])
        expected = [i for _, i in sorted(zip([stamps[k % 5] for k in range(40)], ids), reverse=True)]

        def users_arrive(page: int) -> None:
            insert_users(other, [(email(), f"Newer {page}", T0 + timedelta(days=1))])  # newest of all
            insert_users(other, [(email(), f"Tied {page}", stamps[page % 5])])  # ties with rows being paged

        seen = [u["id"] for u in page_through(conn, 7, between=users_arrive)]
        original = [i for i in seen if i in set(ids)]
        duplicates = len(seen) - len(set(seen))
        missing = len(set(ids) - set(original))
        assert not duplicates and not missing, (
            f"paging 40 users 7 at a time returned {duplicates} duplicate(s) and missed {missing} user(s): the "
            "next page must start strictly after the (created_at, id) of the last row, ordered by both columns"
        )
        assert original == expected, "pages must be ordered by (created_at, id) descending: created_at ties by id"


@level(2)
class TestEdgesFailures:
    @pytest.mark.parametrize("where", ["already stored", "twice in the batch"])
    def test_a_bulk_insert_with_one_duplicate_inserts_nothing(self, conn, other, where):
        insert_users(other, [("taken@example.com", "First", T0)])
        rows = [(f"new{i}@example.com", f"New {i}") for i in range(2500)]
        rows.append(("taken@example.com", "Again") if where == "already stored" else rows[10])
        with pytest.raises(psycopg.errors.UniqueViolation):
            crud.bulk_create_users(conn, rows)
        assert count_users(other) == 1, (
            f"a batch with one duplicate email left {count_users(other) - 1} row(s) behind: insert the whole batch "
            "in one transaction, so the duplicate rolls all of it back"
        )
        assert crud.create_user(conn, "after@example.com", "After"), "the connection must stay usable after the error"
        assert count_users(other) == 2, "after a failed batch, the next insert on the same connection must commit"

    def test_rename_users_with_an_unknown_id_renames_nobody(self, conn, other):
        ids = insert_users(other, [(email(), f"Old {i}", T0) for i in range(3)])
        with pytest.raises(LookupError):
            crud.rename_users(conn, {ids[0]: "New 0", ids[1]: "New 1", max(ids) + 1000: "Ghost"})
        assert names_of(other) == {i: f"Old {n}" for n, i in enumerate(ids)}, (
            "a rename of an unknown id left the renames before it in place: all renames or none, in one transaction"
        )
        crud.rename_users(conn, {ids[2]: "New 2"})
        assert names_of(other)[ids[2]] == "New 2", "the connection must stay usable after the LookupError"

    def test_a_crash_part_way_through_rename_users_leaves_every_name(self, conn, other, pg_interposer):
        ids = insert_users(other, [(email(), f"Old {i}", T0) for i in range(5)])
        pg_interposer.watch(conn, "conn")
        crash = Fired(crash_after(starts_with("UPDATE", "WITH", "MERGE", "INSERT"), nth=2))
        pg_interposer.hooks.append(crash)
        with contextlib.suppress(ConnectionCrashed, psycopg.Error):
            crud.rename_users(conn, {i: f"New {n}" for n, i in enumerate(ids)})
        names = names_of(other)
        if crash.fired:
            assert names == {i: f"Old {n}" for n, i in enumerate(ids)}, (
                "the connection died after the second rename and some renames stayed: commit once, at the end"
            )
        else:
            assert names == {i: f"New {n}" for n, i in enumerate(ids)}, "rename_users must rename every user given"

    def test_a_crash_part_way_through_a_bulk_insert_leaves_no_rows(self, conn, other, pg_interposer):
        rows = [(f"bulk{i}@example.com", f"Bulk {i}") for i in range(3000)]
        pg_interposer.watch(conn, "conn")
        crash = Fired(crash_after(starts_with("INSERT", "COPY", "WITH", "MERGE"), nth=2))
        pg_interposer.hooks.append(crash)
        with contextlib.suppress(ConnectionCrashed, psycopg.Error):
            crud.bulk_create_users(conn, rows)
        left = count_users(other)
        if crash.fired:
            assert left == 0, (
                f"the connection died after the second insert statement and {left} rows stayed: a batch is one "
                "transaction, committed once at the end"
            )
        else:
            assert left == len(rows), "bulk_create_users must insert every row"


@level(3)
class TestConcurrency:
    def test_100_concurrent_requests_use_at_most_size_server_connections(self, pools, other, pg_interposer):
        [user_id] = insert_users(other, [("ada@example.com", "Ada", T0)])
        pool = pools(size=5)

        def request(_: int) -> int:
            with pool.connection(timeout=20) as c:
                user = crud.get_user(c, user_id)
                assert user["name"] == "Ada", (
                    f"get_user on a connection from make_pool returned {user!r} for Ada's id: the pool's connections "
                    "must behave like plain ones (same database, default row factory)"
                )
                return c.execute("SELECT pg_backend_pid() FROM pg_sleep(0.01)").fetchone()[0]

        pids = run_concurrently(request, 100, timeout_s=30)
        opened = pg_interposer.opened
        on_server = server_backends(other)
        assert len(set(pids)) <= 5 and opened <= 5, (
            f"100 requests through make_pool(size=5) used {len(set(pids))} server sessions ({opened} connections "
            "opened): a pool of exactly `size` makes the extra requests wait for a free connection"
        )
        assert len(on_server) <= 5, f"the server shows {len(on_server)} sessions from a pool of 5"

    def test_a_pool_of_size_n_lends_n_connections_and_makes_the_next_wait(self, pools, other):
        pool = pools(size=3)
        held = [pool.getconn(timeout=10) for _ in range(3)]
        try:
            try:
                held.append(pool.getconn(timeout=0.3))
            except PoolTimeout:
                pass
            assert len(held) == 3, (
                "a pool of 3 lent a fourth connection while three were in use: a pool of exactly `size` makes the "
                "next request wait (max_size)"
            )
            pids = {c.info.backend_pid for c in held}
            assert len(pids) == 3 and len(server_backends(other)) == 3, (
                "three requests holding connections of a pool of 3 must be three server sessions, and no more"
            )
        finally:
            for c in held:
                pool.putconn(c)

    def test_other_connections_never_see_part_of_a_bulk_insert(self, conn, other, pg_interposer):
        rows = [(f"bulk{i}@example.com", f"Bulk {i}") for i in range(3000)]
        pg_interposer.watch(conn, "conn")
        seen: list[int] = []

        def look(s: Statement) -> None:
            if s.connection == "conn" and s.phase == "after" and s.error is None:
                seen.append(count_users(other))

        pg_interposer.hooks.append(look)
        try:
            crud.bulk_create_users(conn, rows)
        finally:
            pg_interposer.hooks.remove(look)
        partial = sorted({n for n in seen if 0 < n < len(rows)})
        assert not partial, (
            f"while the batch was being written another connection saw {partial} of its {len(rows)} rows: "
            "commit once, after the last row"
        )
        assert count_users(other) == len(rows), "after bulk_create_users returns, every row must be visible"


@level(4)
class TestEvidence:
    def test_10k_bulk_rows_take_at_most_5_transactions_and_under_100_round_trips(self, conn, other, evidence):
        rows = [(f"bulk{i}@example.com", f"Bulk {i}") for i in range(10_000)]
        with round_trips(conn) as trips:
            crud.bulk_create_users(conn, rows)
        transactions = other.execute("SELECT count(DISTINCT xmin::text) FROM users").fetchone()[0]
        evidence.record(
            "round trips for 10,000 bulk rows",
            trips[0],
            "",
            detail=f"{transactions} transaction(s) wrote the rows (distinct xmin); a row-by-row insert makes 10,000 round trips",
        )
        assert count_users(other) == len(rows), "bulk_create_users must insert every row"
        assert transactions <= 5, (
            f"the 10,000 rows were written by {transactions} transactions: write the batch in one transaction"
        )
        assert trips[0] < 100, (
            f"bulk_create_users made {trips[0]} round trips for 10,000 rows: send them with COPY or a pipelined "
            "executemany, not one statement-and-wait per row"
        )

    @pytest.mark.perf
    def test_a_bulk_insert_is_many_times_faster_than_row_by_row(self, conn, other, evidence):
        batch = itertools.count()

        def rows() -> list[tuple[str, str]]:
            n = next(batch)
            return [(f"b{n}-{i}@example.com", f"User {i}") for i in range(500)]

        def row_by_row() -> None:  # autocommit: every INSERT is a transaction of its own
            for e, name in rows():
                other.execute("INSERT INTO users (email, name) VALUES (%s, %s)", (e, name))

        def bulk() -> None:
            crud.bulk_create_users(conn, rows())

        result = evidence.compare("bulk insert vs row by row, 500 rows", row_by_row, bulk, claim="62×", repeats=9)
        assert result.ratio >= 3, (
            f"500 rows in one bulk insert were only {result.ratio:.1f}× faster than a commit per row ({result})"
        )

    @pytest.mark.perf
    def test_a_pooled_request_is_many_times_faster_than_connect_per_request(self, pools, pg_dsn, other, evidence):
        [user_id] = insert_users(other, [("ada@example.com", "Ada", T0)])
        pool = pools(size=2)
        pool.wait(timeout=10)

        def connect_per_request() -> None:
            for _ in range(10):
                with psycopg.connect(pg_dsn) as c:
                    crud.get_user(c, user_id)

        def pooled() -> None:
            for _ in range(10):
                with pool.connection() as c:
                    crud.get_user(c, user_id)

        result = evidence.compare(
            "10 requests: pooled vs a new connection each",
            connect_per_request,
            pooled,
            claim="25× (45 ms → 1.8 ms)",
            repeats=9,
        )
        assert result.ratio >= 1.5, (
            f"a pooled request was only {result.ratio:.1f}× faster than opening a connection per request ({result})"
        )

    @pytest.mark.seed(MANY_ROWS)
    def test_a_page_deep_in_100k_users_reads_as_few_rows_as_the_first(self, conn, other, evidence):
        limit = 20
        depths = (0, 1_000, MANY // 2, MANY - 2 * limit)
        keys = {
            d: other.execute(
                "SELECT created_at, id FROM users ORDER BY created_at DESC, id DESC OFFSET %s LIMIT 1", (d - 1,)
            ).fetchone()
            for d in depths
            if d
        }
        flush_stats(other)
        reads: dict[int, int] = {}
        for depth in depths:
            before = table_reads(conn, other)
            page = crud.list_users(conn, limit, after=keys.get(depth))
            after = table_reads(conn, other)
            read, index_scans, seq_scans = rows_read(before, after)
            reads[depth] = read
            assert len(page) == limit, f"a page at depth {depth} must hold {limit} rows, not {len(page)}"
            assert index_scans >= 1 and seq_scans == 0, (
                f"the page at depth {depth} was read with {seq_scans} sequential scan(s) of users: filter with a "
                "condition the index on (created_at, id) can start from"
            )
            assert read <= 5 * limit + 50, (
                f"the page at depth {depth:,} read {read:,} rows for {limit}: start the page at the previous page's "
                "last (created_at, id) — a row comparison the index can seek to — instead of skipping rows"
            )
        deep = depths[-1]
        before = table_reads(conn, other)
        conn.execute(
            "SELECT * FROM users ORDER BY created_at DESC, id DESC OFFSET %s LIMIT %s", (deep, limit)
        ).fetchall()
        offset_read, _, _ = rows_read(before, table_reads(conn, other))
        evidence.record(
            f"rows read for a page at depth {deep:,}",
            reads[deep],
            " rows",
            detail=f"keyset pages read {', '.join(f'{reads[d]:,}' for d in depths)} rows at depths "
            f"{', '.join(f'{d:,}' for d in depths)}; OFFSET {deep:,} read {offset_read:,}",
        )
