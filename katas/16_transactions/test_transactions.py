"""Kata 16 — transactions and isolation. Run: pytest katas/16_transactions  (one level: --level 2)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
import transactions

from dojo.pg_race import ConnectionCrashed, Statement, crash_after, pause_after, starts_with
from dojo.race import run_concurrently

level = pytest.mark.level

# --- the given tables --------------------------------------------------------------------------------


def given_accounts(conn: psycopg.Connection, balances: dict[int, int]) -> None:
    conn.execute(
        "CREATE TABLE accounts (id int PRIMARY KEY, balance_cents bigint NOT NULL, version int NOT NULL DEFAULT 0)"
    )
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO accounts (id, balance_cents) VALUES (%s, %s)", list(balances.items()))
    conn.commit()


def given_doctors(conn: psycopg.Connection, on_call: dict[int, bool]) -> None:
    conn.execute("CREATE TABLE doctors (id int PRIMARY KEY, on_call bool NOT NULL)")
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO doctors VALUES (%s, %s)", list(on_call.items()))
    conn.commit()


def balances(conn: psycopg.Connection) -> dict[int, int]:
    """Committed balances, read on the test's own connection (its read transaction ended at once)."""
    rows = conn.execute("SELECT id, balance_cents FROM accounts ORDER BY id").fetchall()
    conn.commit()
    return dict(rows)


def versions(conn: psycopg.Connection) -> dict[int, int]:
    rows = conn.execute("SELECT id, version FROM accounts ORDER BY id").fetchall()
    conn.commit()
    return dict(rows)


def on_call(conn: psycopg.Connection) -> list[int]:
    rows = conn.execute("SELECT id FROM doctors WHERE on_call ORDER BY id").fetchall()
    conn.commit()
    return [r[0] for r in rows]


@pytest.fixture
def pg_dsn(module_pg_dsn: str) -> str:
    """This module's database, emptied before each test (a fresh database per test costs more than the test).

    Every harness fixture built on pg_dsn (conn, pg_steps, pg_admin) then uses it.
    """
    with psycopg.connect(module_pg_dsn, autocommit=True) as c:
        c.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND usename = current_user"
        )
        c.execute("DROP TABLE IF EXISTS accounts, doctors, log, t, counter")
    return module_pg_dsn


@pytest.fixture
def connect(pg_dsn: str) -> Iterator[Callable[[], psycopg.Connection]]:
    """More connections like `conn` (autocommit off), one per concurrent caller; closed afterwards."""
    with ExitStack() as stack:
        yield lambda: stack.enter_context(psycopg.connect(pg_dsn))


# --- the naive versions: what the anomalies look like ---------------------------------------------


def naive_transfer(conn: psycopg.Connection, from_id: int, to_id: int, cents: int) -> None:
    """Read both balances, decide and compute in Python, write the results back: no locks."""
    (src,) = conn.execute("SELECT balance_cents FROM accounts WHERE id = %s", (from_id,)).fetchone()
    (dst,) = conn.execute("SELECT balance_cents FROM accounts WHERE id = %s", (to_id,)).fetchone()
    if src < cents:
        conn.rollback()
        raise transactions.InsufficientFunds(from_id)
    conn.execute("UPDATE accounts SET balance_cents = %s, version = version + 1 WHERE id = %s", (src - cents, from_id))
    conn.execute("UPDATE accounts SET balance_cents = %s, version = version + 1 WHERE id = %s", (dst + cents, to_id))
    conn.commit()


def unordered_transfer(conn: psycopg.Connection, from_id: int, to_id: int, cents: int) -> None:
    """Atomic relative updates, but the source row is always locked first, whatever its id."""
    conn.execute("UPDATE accounts SET balance_cents = balance_cents - %s WHERE id = %s", (cents, from_id))
    conn.execute("UPDATE accounts SET balance_cents = balance_cents + %s WHERE id = %s", (cents, to_id))
    conn.commit()


def naive_go_off_call(conn: psycopg.Connection, doctor_id: int) -> bool:
    """Count the doctors on call, then leave if there are two or more: a check on a snapshot."""
    (n,) = conn.execute("SELECT count(*) FROM doctors WHERE on_call").fetchone()
    if n < 2:
        conn.rollback()
        return False
    conn.execute("UPDATE doctors SET on_call = false WHERE id = %s", (doctor_id,))
    conn.commit()
    return True


# --- two (or more) callers stepped statement by statement -------------------------------------------


@dataclass
class Outcome:
    """What one caller's call did: returned `value`, or raised `error`."""

    value: Any = None
    error: BaseException | None = None

    @property
    def sqlstate(self) -> str | None:
        return getattr(self.error, "sqlstate", None)


class Lockstep:
    """A pg_interposer hook that runs several callers statement by statement, side by side.

    Each caller runs in a thread of its own. After each statement's reply, a caller waits until
    every other caller has finished as many statements, has returned, or is stuck on a lock
    (seen in pg_stat_activity, never guessed from a clock). Two naive read-then-write callers
    therefore both read before either writes, every run; callers that lock rows simply queue.
    """

    def __init__(self, observer: psycopg.Connection, database: str, patience_s: float = 15.0) -> None:
        self._observer = observer
        self._database = database
        self._observer_lock = threading.Lock()
        self._patience_s = patience_s
        self._cond = threading.Condition()
        self._done: dict[str, int] = {}
        self._in_flight: set[str] = set()
        self._returned: set[str] = set()
        self._local = threading.local()
        self.log: list[str] = []

    def story(self, last: int = 12) -> str:
        """The last statements, in the order they ran: for failure messages."""
        return "; ".join(self.log[-last:])

    def __call__(self, s: Statement) -> None:
        me = threading.current_thread().name
        if me not in self._done or getattr(self._local, "busy", False):
            return
        with self._cond:
            if s.phase == "before":
                self._in_flight.add(me)
                return
            self._in_flight.discard(me)
            self._done[me] += 1
            mine = self._done[me]
            what = " ".join(s.sql.split())[:60]
            self.log.append(
                f"{me}: {what}" + (f" → {getattr(s.error, 'sqlstate', None) or 'error'}" if s.error else "")
            )
            self._cond.notify_all()
        deadline = time.monotonic() + self._patience_s
        while time.monotonic() < deadline:
            with self._cond:
                behind = [p for p in self._done if p != me and p not in self._returned and self._done[p] < mine]
                if not behind:
                    return
                running = [p for p in behind if p in self._in_flight]
            if running and len(running) == len(behind) and self._lock_waiters() >= len(running):
                return  # everyone behind is waiting for a lock: go on
            with self._cond:
                self._cond.wait(0.003)

    def _lock_waiters(self) -> int:
        self._local.busy = True
        try:
            with self._observer_lock:
                return self._observer.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
                    (self._database,),
                ).fetchone()[0]
        finally:
            self._local.busy = False

    def run(self, *calls: Callable[[], Any], timeout_s: float = 30.0) -> list[Outcome]:
        """Run each call in its own thread, in lockstep; return their outcomes in order."""
        names = [chr(ord("A") + i) for i in range(len(calls))]
        outcomes = [Outcome() for _ in calls]
        with self._cond:
            self._done = {name: 0 for name in names}
            self._returned = set()

        def party(i: int) -> None:
            try:
                outcomes[i].value = calls[i]()
            except BaseException as exc:  # noqa: BLE001 - handed to the test
                outcomes[i].error = exc
            finally:
                with self._cond:
                    self._returned.add(names[i])
                    self._cond.notify_all()

        threads = [threading.Thread(target=party, args=(i,), name=names[i], daemon=True) for i in range(len(calls))]
        for t in threads:
            t.start()
        deadline = time.monotonic() + timeout_s
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        stuck = [t.name for t in threads if t.is_alive()]
        assert not stuck, f"callers {stuck} were still running after {timeout_s:.0f} s: {self.story()}"
        return outcomes


@pytest.fixture
def lockstep(pg_admin, pg_interposer, pg_dsn) -> Lockstep:
    step = Lockstep(pg_admin, psycopg.conninfo.conninfo_to_dict(pg_dsn)["dbname"])
    pg_interposer.hooks.append(step)
    return step


def raise_unexpected(outcomes: list[Outcome], *allowed: type[BaseException]) -> None:
    """Re-raise the first error no caller was allowed to raise (a stub's NotImplementedError, a bug)."""
    for o in outcomes:
        if o.error is not None and not isinstance(o.error, allowed) and o.sqlstate not in ("40001", "40P01"):
            raise o.error


def failed_with(outcomes: list[Outcome], sqlstate: str) -> bool:
    return any(o.sqlstate == sqlstate for o in outcomes)


# --- scenarios shared by the concurrency and evidence levels ------------------------------------------


def lost_update_in_lockstep(conn, connect, lockstep, transfer) -> tuple[bool, str]:
    """Two transfers into one account at once: does the destination receive both?"""
    given_accounts(conn, {1: 10_000, 2: 10_000, 3: 0})
    a, b = connect(), connect()
    outcomes = lockstep.run(lambda: transfer(a, 1, 3, 5_000), lambda: transfer(b, 2, 3, 3_000))
    raise_unexpected(outcomes, transactions.InsufficientFunds)
    return balances(conn) != {1: 5_000, 2: 7_000, 3: 8_000} or any(o.error for o in outcomes), (
        f"balances {balances(conn)} after {[o.error or 'ok' for o in outcomes]}; {lockstep.story()}"
    )


def write_skew_in_lockstep(conn, connect, lockstep, leave) -> tuple[bool, str]:
    """The last two doctors on call leave at once: is somebody still on call?"""
    given_doctors(conn, {1: True, 2: True, 3: False})
    a, b = connect(), connect()
    outcomes = lockstep.run(lambda: leave(a, 1), lambda: leave(b, 2))
    raise_unexpected(outcomes)
    return on_call(conn) == [], f"on call afterwards: {on_call(conn)}; returned {[o.value for o in outcomes]}"


def deadlock_in_lockstep(conn, connect, lockstep, transfer) -> tuple[bool, str]:
    """Two transfers in opposite directions at once: does either die in a deadlock?"""
    given_accounts(conn, {1: 10_000, 2: 10_000})
    a, b = connect(), connect()
    outcomes = lockstep.run(lambda: transfer(a, 1, 2, 1_000), lambda: transfer(b, 2, 1, 2_500))
    raise_unexpected(outcomes, transactions.InsufficientFunds)
    return failed_with(outcomes, "40P01"), f"outcomes {[o.error or 'ok' for o in outcomes]}; {lockstep.story()}"


@level(1)
class TestCore:
    def test_transfer_moves_the_money_and_commits(self, conn, pg_dsn):
        given_accounts(conn, {1: 10_000, 2: 500})
        transactions.transfer(conn, 1, 2, 2_500)
        with psycopg.connect(pg_dsn) as other:
            rows = dict(other.execute("SELECT id, balance_cents FROM accounts").fetchall())
        assert rows == {1: 7_500, 2: 3_000}, (
            f"another connection sees {rows} after transfer(1 → 2, 2500): both updates must be committed "
            "before transfer returns"
        )

    def test_transfer_increments_the_version_of_both_rows(self, conn):
        given_accounts(conn, {1: 10_000, 2: 500})
        transactions.transfer(conn, 1, 2, 100)
        transactions.transfer(conn, 2, 1, 50)
        assert versions(conn) == {1: 2, 2: 2}, (
            f"versions are {versions(conn)} after two transfers between accounts 1 and 2: every transfer "
            "increments the version of each row it changes, so optimistic readers notice"
        )

    def test_insufficient_funds_raises_and_changes_nothing(self, conn):
        given_accounts(conn, {1: 1_000, 2: 0})
        with pytest.raises(transactions.InsufficientFunds):
            transactions.transfer(conn, 1, 2, 1_001)
        assert balances(conn) == {1: 1_000, 2: 0} and versions(conn) == {1: 0, 2: 0}, (
            "a refused transfer changed a row: check the balance before writing, or roll the transaction back"
        )

    def test_the_whole_balance_can_be_transferred(self, conn):
        given_accounts(conn, {1: 1_000, 2: 0})
        transactions.transfer(conn, 1, 2, 1_000)
        assert balances(conn) == {1: 0, 2: 1_000}, "a balance may reach zero: only going below zero is refused"

    def test_transfer_optimistic_moves_the_money_and_increments_both_versions(self, conn, pg_dsn):
        given_accounts(conn, {1: 10_000, 2: 500})
        transactions.transfer_optimistic(conn, 1, 2, 2_500)
        with psycopg.connect(pg_dsn) as other:
            rows = {r[0]: r[1:] for r in other.execute("SELECT id, balance_cents, version FROM accounts").fetchall()}
        assert rows == {1: (7_500, 1), 2: (3_000, 1)}, (
            f"(balance, version) per account is {rows} after transfer_optimistic(1 → 2, 2500): both rows must "
            "change, each version goes up by one, and the transaction must be committed"
        )

    def test_transfer_optimistic_refuses_an_overdraft(self, conn):
        given_accounts(conn, {1: 1_000, 2: 0})
        with pytest.raises(transactions.InsufficientFunds):
            transactions.transfer_optimistic(conn, 1, 2, 1_001)
        assert balances(conn) == {1: 1_000, 2: 0} and versions(conn) == {1: 0, 2: 0}, (
            "a refused optimistic transfer changed a row"
        )
        transactions.transfer_optimistic(conn, 1, 2, 1_000)
        assert balances(conn) == {1: 0, 2: 1_000}, "a balance may reach zero: only going below zero is refused"

    def test_run_serializable_runs_fn_in_a_committed_serializable_transaction(self, conn, pg_dsn):
        conn.execute("CREATE TABLE log (line text)")
        conn.commit()
        seen = {}

        def fn(c: psycopg.Connection) -> str:
            seen["level"] = c.execute("SHOW transaction_isolation").fetchone()[0]
            seen["pid"] = c.info.backend_pid
            c.execute("INSERT INTO log VALUES ('hello')")
            return "done"

        assert transactions.run_serializable(pg_dsn, fn) == "done", "run_serializable must return what fn returns"
        assert seen["level"] == "serializable", f"fn ran at isolation level {seen['level']!r}, not serializable"
        assert seen["pid"] != conn.info.backend_pid, "run_serializable must open a connection of its own from dsn"
        lines = conn.execute("SELECT line FROM log").fetchall()
        assert lines == [("hello",)], "what fn wrote must be committed when run_serializable returns"

    def test_a_doctor_may_leave_while_another_stays_on_call(self, conn):
        given_doctors(conn, {1: True, 2: True, 3: False})
        assert transactions.go_off_call(conn, 1) is True, "with doctors 1 and 2 on call, doctor 1 may leave"
        assert on_call(conn) == [2], f"on call afterwards: {on_call(conn)}; doctor 1 must be off call, committed"

    def test_the_last_doctor_on_call_cannot_leave(self, conn):
        given_doctors(conn, {1: True, 2: False})
        assert transactions.go_off_call(conn, 1) is False, "doctor 1 is the only one on call: go_off_call returns False"
        assert on_call(conn) == [1], "the last doctor on call must stay on call"


TRANSFERS = pytest.mark.parametrize("kind", ["transfer", "transfer_optimistic"])


@level(2)
class TestEdges:
    @TRANSFERS
    def test_a_transfer_to_a_missing_account_moves_no_money(self, conn, kind):
        given_accounts(conn, {1: 1_000, 2: 0})
        getattr(transactions, kind)(conn, 1, 2, 100)
        try:
            getattr(transactions, kind)(conn, 1, 99, 300)
        except Exception:  # noqa: BLE001 - any error is a fine answer; a half-done transfer is not
            conn.rollback()
        assert balances(conn) == {1: 900, 2: 100}, (
            f"{kind}(1 → 99) left balances {balances(conn)}: account 99 does not exist, so the debit must not "
            "happen either — check that both rows exist (or that both updates changed a row) before committing"
        )

    @TRANSFERS
    def test_a_refused_transfer_leaves_no_lock_and_no_open_transaction(self, conn, pg_steps, kind):
        given_accounts(conn, {1: 1_000, 2: 0})
        with pytest.raises(transactions.InsufficientFunds):
            getattr(transactions, kind)(conn, 1, 2, 5_000)
        other = pg_steps.connect("other")
        other.run("BEGIN")
        touched = other.step("UPDATE accounts SET balance_cents = balance_cents WHERE id IN (1, 2)")
        assert not touched.blocked, (
            f"after InsufficientFunds, another transaction still waits for a row lock held by {kind}'s "
            "connection: roll the transaction back before raising"
        )
        other.run("ROLLBACK")
        getattr(transactions, kind)(conn, 1, 2, 400)
        assert balances(conn) == {1: 600, 2: 400}, "the connection must still work after a refused transfer"

    @TRANSFERS
    def test_a_transfer_that_dies_between_its_statements_leaves_both_rows_or_neither(
        self, conn, connect, pg_interposer, kind
    ):
        given_accounts(conn, {1: 1_000, 2: 0})
        for k in range(1, 20):
            crash = crash_after(lambda sql: True, nth=k)
            pg_interposer.hooks.append(crash)
            dying = connect()
            try:
                getattr(transactions, kind)(dying, 1, 2, 300)
                crashed = False
            except ConnectionCrashed:
                crashed = True
            finally:
                pg_interposer.hooks.remove(crash)
            state = balances(conn)
            assert state in ({1: 1_000, 2: 0}, {1: 700, 2: 300}), (
                f"{kind}'s connection died right after its statement {k}, and the balances became {state}: "
                "one update without the other — do both in one transaction, committed once at the end"
            )
            if not crashed:
                assert state == {1: 700, 2: 300}, f"{kind} returned, yet the money did not move: {state}"
                return
            if state != {1: 1_000, 2: 0}:
                return  # it died right after committing: done
        pytest.fail(f"{kind} sent more than 19 statements for one transfer: is it looping?")

    def test_run_serializable_retries_serialization_failures_and_deadlocks(self, pg_dsn):
        calls = []

        def fn(c: psycopg.Connection) -> int:
            calls.append(1)
            if len(calls) == 1:
                c.execute("DO $$ BEGIN RAISE EXCEPTION 'could not serialize' USING ERRCODE = '40001'; END $$")
            if len(calls) == 2:
                c.execute("DO $$ BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = '40P01'; END $$")
            return 42

        assert transactions.run_serializable(pg_dsn, fn) == 42, "after two retryable failures fn succeeds: return 42"
        assert len(calls) == 3, (
            f"fn ran {len(calls)} times for one 40001 and one 40P01 failure: retry on both, then stop"
        )

    def test_a_failed_attempt_leaves_nothing_behind(self, conn, pg_dsn):
        conn.execute("CREATE TABLE log (attempt int)")
        conn.commit()
        calls = []

        def fn(c: psycopg.Connection) -> None:
            calls.append(1)
            c.execute("INSERT INTO log VALUES (%s)", (len(calls),))
            if len(calls) == 1:
                c.execute("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$")

        transactions.run_serializable(pg_dsn, fn)
        rows = conn.execute("SELECT attempt FROM log").fetchall()
        assert rows == [(2,)], (
            f"the log holds {rows}: the failed first attempt must be rolled back, and only the retry committed"
        )

    @pytest.mark.parametrize("error", ["unique_violation", "python_error"])
    def test_other_errors_propagate_at_once(self, conn, pg_dsn, error):
        conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
        conn.execute("INSERT INTO t VALUES (1)")
        conn.commit()
        calls = []

        def fn(c: psycopg.Connection) -> None:
            calls.append(1)
            if error == "python_error":
                raise ValueError("a bug in fn")
            c.execute("INSERT INTO t VALUES (1)")

        expected = ValueError if error == "python_error" else psycopg.errors.UniqueViolation
        with pytest.raises(expected):
            transactions.run_serializable(pg_dsn, fn)
        assert len(calls) == 1, (
            f"fn ran {len(calls)} times for a {error}: only 40001 and 40P01 are worth retrying; anything else "
            "fails the same way again, so raise it at once"
        )

    def test_run_serializable_gives_up_after_max_attempts_with_the_last_error(self, pg_dsn):
        calls = []

        def fn(c: psycopg.Connection) -> None:
            calls.append(1)
            c.execute(
                "DO $$ BEGIN RAISE EXCEPTION 'attempt %' , " + str(len(calls)) + " USING ERRCODE = '40001'; END $$"
            )

        with pytest.raises(psycopg.errors.SerializationFailure) as raised:
            transactions.run_serializable(pg_dsn, fn, max_attempts=3)
        assert len(calls) == 3, f"fn ran {len(calls)} times with max_attempts=3: try exactly max_attempts times"
        assert "attempt 3" in str(raised.value), f"the error raised must be the last one, not {raised.value}"

    def test_run_serializable_pauses_longer_before_each_retry(self, pg_dsn):
        starts: list[float] = []
        ends: list[float] = []

        def fn(c: psycopg.Connection) -> None:
            starts.append(time.perf_counter())
            try:
                c.execute("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$")
            finally:
                ends.append(time.perf_counter())

        with pytest.raises(psycopg.errors.SerializationFailure):
            transactions.run_serializable(pg_dsn, fn, max_attempts=5)
        assert len(starts) == 5, f"fn ran {len(starts)} times with max_attempts=5"
        pauses = [start - end for end, start in zip(ends, starts[1:])]
        shown = ", ".join(f"{p * 1000:.1f} ms" for p in pauses)
        assert sum(pauses) >= 0.03, (
            f"the pauses before the 4 retries were {shown}: retrying at once hammers a database that is already "
            "contended — sleep between attempts (at least 30 ms in total over four retries)"
        )
        assert pauses[-1] >= 2 * pauses[0], (
            f"the pauses before the 4 retries were {shown}: the pause must grow (the last at least twice the "
            "first), so that colliding transactions spread out"
        )

    def test_run_serializable_closes_its_connection(self, pg_dsn):
        used = []

        def fn(c: psycopg.Connection) -> None:
            used.append(c)

        def broken(c: psycopg.Connection) -> None:
            used.append(c)
            raise ValueError("a bug in fn")

        transactions.run_serializable(pg_dsn, fn)
        with pytest.raises(ValueError):
            transactions.run_serializable(pg_dsn, broken)
        assert all(c.closed for c in used), (
            "run_serializable left its connection open: close it when done (a `with psycopg.connect(...)` "
            "block), also when fn raises"
        )


@level(3)
class TestConcurrency:
    def test_two_transfers_into_one_account_lose_no_update(self, conn, connect, lockstep):
        anomaly, story = lost_update_in_lockstep(conn, connect, lockstep, transactions.transfer)
        assert not anomaly, (
            "two transfers into account 3 ran statement by statement side by side and an update was lost: "
            f"{story} — lock the rows you read (SELECT … FOR UPDATE) or update relative to the current value"
        )

    def test_two_transfers_from_one_account_never_overdraw_it(self, conn, connect, lockstep):
        given_accounts(conn, {1: 1_000, 2: 0, 3: 0})
        a, b = connect(), connect()
        outcomes = lockstep.run(
            lambda: transactions.transfer(a, 1, 2, 800), lambda: transactions.transfer(b, 1, 3, 800)
        )
        raise_unexpected(outcomes, transactions.InsufficientFunds)
        refused = sum(isinstance(o.error, transactions.InsufficientFunds) for o in outcomes)
        assert refused == 1 and balances(conn) in ({1: 200, 2: 800, 3: 0}, {1: 200, 2: 0, 3: 800}), (
            f"two transfers of 800 from an account holding 1000 ran side by side: balances {balances(conn)}, "
            f"{refused} refused. Both checked the balance before either wrote: {lockstep.story()} — lock the source "
            "row before checking it, so the second check sees the first transfer"
        )

    def test_opposite_transfers_side_by_side_never_deadlock(self, conn, connect, lockstep):
        deadlocked, story = deadlock_in_lockstep(conn, connect, lockstep, transactions.transfer)
        assert not deadlocked, (
            f"transfers 1 → 2 and 2 → 1 ran side by side and PostgreSQL killed one in a deadlock: {story} — "
            "lock both rows in a fixed order (lowest id first) whatever the direction"
        )
        assert balances(conn) == {1: 11_500, 2: 8_500}, f"both transfers must succeed: balances {balances(conn)}"

    @pytest.mark.parametrize("changed", ["source", "destination", "both"])
    def test_an_optimistic_transfer_conflicts_when_a_row_changed_after_it_was_read(
        self, conn, connect, pg_admin, pg_interposer, pg_steps, changed
    ):
        given_accounts(conn, {1: 1_000, 2: 1_000})
        ids = {"source": [1], "destination": [2], "both": [1, 2]}[changed]
        learner = pg_interposer.watch(connect(), name="learner")
        pid = learner.info.backend_pid
        other = pg_steps.connect("other")
        bumps: list[Any] = []
        statements = [0]

        def change_after_each_read(s: Statement) -> None:
            """After each statement that wrote nothing yet, another transaction changes the row(s) and commits."""
            if (
                s.connection != "learner"
                or s.phase != "after"
                or s.error is not None
                or threading.current_thread() is not main
            ):
                return
            statements[0] += 1
            (writing,) = pg_admin.execute(
                "SELECT backend_xid IS NOT NULL FROM pg_stat_activity WHERE pid = %s", (pid,)
            ).fetchone()
            if writing and statements[0] > 1:
                return
            bumps.append(
                other.step(
                    "UPDATE accounts SET balance_cents = balance_cents + 1, version = version + 1 WHERE id = ANY(%s)",
                    (ids,),
                )
            )

        main = threading.current_thread()
        pg_interposer.hooks.append(change_after_each_read)
        try:
            with pytest.raises(transactions.Conflict):
                transactions.transfer_optimistic(learner, 1, 2, 300)
        finally:
            pg_interposer.hooks.remove(change_after_each_read)
            blocked = [b for b in bumps if b.blocked]
            for b in bumps:
                b.result()
        assert not blocked, (
            "a concurrent update waited for a row lock held by transfer_optimistic: optimistic locking holds no "
            "row locks while deciding (no SELECT … FOR UPDATE); it checks the versions when it writes"
        )
        n = len(bumps)
        expected = {i: 1_000 + (n if i in ids else 0) for i in (1, 2)}
        assert balances(conn) == expected, (
            f"balances {balances(conn)}, expected {expected}: the transfer raised Conflict but changed a row anyway"
        )

    def test_two_optimistic_transfers_from_one_account_one_wins_one_conflicts(self, conn, connect, lockstep):
        given_accounts(conn, {1: 10_000, 2: 0, 3: 0})
        a, b = connect(), connect()
        outcomes = lockstep.run(
            lambda: transactions.transfer_optimistic(a, 1, 2, 1_000),
            lambda: transactions.transfer_optimistic(b, 1, 3, 2_000),
        )
        raise_unexpected(outcomes, transactions.Conflict)
        conflicts = [o for o in outcomes if isinstance(o.error, transactions.Conflict)]
        assert len(conflicts) == 1, (
            f"two optimistic transfers read account 1 at the same version and both wrote: {len(conflicts)} raised "
            f"Conflict ({lockstep.story()}) — the second write must find the version changed and raise Conflict"
        )
        won = 2 if outcomes[0].error is None else 3
        amount = 1_000 if won == 2 else 2_000
        assert balances(conn) == {1: 10_000 - amount, 2: amount if won == 2 else 0, 3: amount if won == 3 else 0}, (
            f"balances {balances(conn)}: the conflicting transfer must change nothing"
        )

    def test_two_doctors_leaving_at_once_leave_one_on_call(self, conn, connect, lockstep):
        skewed, story = write_skew_in_lockstep(conn, connect, lockstep, transactions.go_off_call)
        assert not skewed, (
            f"doctors 1 and 2 left side by side and nobody is on call ({story}): each counted two on call in its "
            "own snapshot and changed a different row (write skew) — lock the rows the decision depends on, or "
            "use SERIALIZABLE and retry"
        )
        assert on_call(conn) in ([1], [2]), f"exactly one of the two must still be on call: {on_call(conn)}"

    def test_with_three_on_call_two_can_leave_at_once(self, conn, connect, lockstep):
        given_doctors(conn, {1: True, 2: True, 3: True})
        a, b = connect(), connect()
        outcomes = lockstep.run(lambda: transactions.go_off_call(a, 1), lambda: transactions.go_off_call(b, 2))
        raise_unexpected(outcomes)
        assert [o.value for o in outcomes] == [True, True] and on_call(conn) == [3], (
            f"with three on call, doctors 1 and 2 leaving at once returned {[o.value or o.error for o in outcomes]}; "
            f"on call afterwards: {on_call(conn)}. Doctor 3 stays, so both may leave (retry a serialization "
            "failure instead of raising it)"
        )

    def test_run_serializable_retries_a_real_serialization_failure(self, conn, pg_dsn, lockstep):
        conn.execute("CREATE TABLE counter (n int NOT NULL)")
        conn.execute("INSERT INTO counter VALUES (0)")
        conn.commit()
        calls = []

        def increment(c: psycopg.Connection) -> None:
            calls.append(1)
            (n,) = c.execute("SELECT n FROM counter").fetchone()
            c.execute("UPDATE counter SET n = %s", (n + 1,))

        outcomes = lockstep.run(
            lambda: transactions.run_serializable(pg_dsn, increment, max_attempts=5),
            lambda: transactions.run_serializable(pg_dsn, increment, max_attempts=5),
        )
        errors = [o.error for o in outcomes if o.error is not None]
        if errors and not isinstance(errors[0], psycopg.Error):
            raise errors[0]
        (n,) = conn.execute("SELECT n FROM counter").fetchone()
        conn.commit()
        assert not errors and n == 2, (
            f"two read-then-increment transactions ran side by side through run_serializable: counter = {n}, "
            f"errors {errors} ({lockstep.story()}). Under SERIALIZABLE the second fails with 40001 and must be "
            "run again from the start"
        )
        assert len(calls) == 3, f"fn ran {len(calls)} times: once each, plus one retry for the loser"

    @pytest.mark.parametrize("kind", ["transfer", "transfer_optimistic"])
    def test_money_is_conserved_under_10_concurrent_transferers(self, conn, connect, kind):
        accounts = {1: 50_000, 2: 50_000, 3: 1_000, 4: 1_000}
        given_accounts(conn, accounts)
        fn = getattr(transactions, kind)
        connections = [connect() for _ in range(10)]
        allowed = (transactions.InsufficientFunds, transactions.Conflict)

        def transferer(i: int) -> list[tuple[int, int, int]]:
            rng = random.Random(i)
            done = []
            for _ in range(15):
                src, dst = rng.sample(sorted(accounts), 2)  # every pair, in both directions
                cents = rng.randrange(100, 3_000)
                try:
                    fn(connections[i], src, dst, cents)
                    done.append((src, dst, cents))
                except allowed:
                    pass
                except psycopg.Error as exc:
                    if kind == "transfer" and exc.sqlstate in ("40001", "40P01"):
                        raise AssertionError(
                            f"transfer({src} → {dst}) failed with SQLSTATE {exc.sqlstate} under 10 concurrent "
                            "transferers: transfer must succeed or raise InsufficientFunds — lock rows in a fixed "
                            "order (and retry a serialization failure yourself if you use SERIALIZABLE)"
                        ) from exc
                    if exc.sqlstate not in ("40001", "40P01"):
                        raise
                    connections[i].rollback()
            return done

        ledger = [t for done in run_concurrently(transferer, 10, timeout_s=60) for t in done]
        expected = dict(accounts)
        touched = dict.fromkeys(accounts, 0)
        for src, dst, cents in ledger:
            expected[src] -= cents
            expected[dst] += cents
            touched[src] += 1
            touched[dst] += 1
        final = balances(conn)
        assert sum(final.values()) == sum(accounts.values()), (
            f"10 concurrent {kind} callers created or destroyed {sum(final.values()) - sum(accounts.values())} cents"
        )
        assert final == expected, (
            f"the balances {final} do not match the {len(ledger)} transfers that returned successfully {expected}: "
            "a transfer reported success without its effect, or an update was lost"
        )
        assert min(final.values()) >= 0, f"an account went below zero: {final}"
        assert versions(conn) == touched, (
            f"versions {versions(conn)}; each successful transfer increments both rows' versions: {touched}"
        )


@level(4)
class TestEvidence:
    def test_forced_interleavings_show_each_anomaly_on_naive_code_and_none_on_yours(
        self, conn, connect, lockstep, evidence
    ):
        scenarios = [
            ("lost update", lost_update_in_lockstep, naive_transfer, transactions.transfer),
            ("write skew", write_skew_in_lockstep, naive_go_off_call, transactions.go_off_call),
            ("deadlock", deadlock_in_lockstep, unordered_transfer, transactions.transfer),
        ]
        naive_seen, yours_seen = [], []
        for name, scenario, naive, yours in scenarios:
            for seen, fn in ((naive_seen, naive), (yours_seen, yours)):
                conn.execute("DROP TABLE IF EXISTS accounts, doctors")
                conn.commit()
                anomaly, _ = scenario(conn, connect, lockstep, fn)
                if anomaly:
                    seen.append(name)
        evidence.record(
            "anomalies in 3 forced interleavings (lost update, write skew, deadlock)",
            len(yours_seen),
            "",
            claim="consistency guaranteed under concurrent load",
            detail=f"naive code: {len(naive_seen)} of 3 ({', '.join(naive_seen) or 'none'}); "
            f"yours: {len(yours_seen)} of 3 ({', '.join(yours_seen) or 'none'})",
        )
        assert naive_seen == [s[0] for s in scenarios], (
            f"harness check: the naive code should show all three: {naive_seen}"
        )
        assert not yours_seen, f"your code showed these anomalies under the forced interleavings: {yours_seen}"

    def test_what_serializable_retries_cost_next_to_row_locks(self, conn, pg_dsn, pg_interposer, evidence):
        conn.execute("CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)")
        conn.execute("INSERT INTO counter VALUES (1, 0), (2, 0)")
        conn.commit()
        # A little think time between each read and its write, as in an application: conflicts become likely.
        pg_interposer.hooks.append(pause_after(starts_with("SELECT"), 0.003))
        workers, each = 4, 5
        calls = [0]
        counting = threading.Lock()

        def increment_serializable(c: psycopg.Connection) -> None:
            with counting:
                calls[0] += 1
            (n,) = c.execute("SELECT n FROM counter WHERE id = 1").fetchone()
            c.execute("UPDATE counter SET n = %s WHERE id = 1", (n + 1,))

        def serializable(i: int) -> int:
            ok = 0
            for _ in range(each):
                try:
                    transactions.run_serializable(pg_dsn, increment_serializable, max_attempts=20)
                    ok += 1
                except psycopg.errors.SerializationFailure:
                    pass
            return ok

        def locking(i: int) -> int:
            with psycopg.connect(pg_dsn) as c:
                for _ in range(each):
                    (n,) = c.execute("SELECT n FROM counter WHERE id = 2 FOR UPDATE").fetchone()
                    c.execute("UPDATE counter SET n = %s WHERE id = 2", (n + 1,))
                    c.commit()
            return each

        t0 = time.perf_counter()
        committed = sum(run_concurrently(serializable, workers, timeout_s=120))
        t1 = time.perf_counter()
        locked = sum(run_concurrently(locking, workers, timeout_s=120))
        t2 = time.perf_counter()
        counts = dict(conn.execute("SELECT id, n FROM counter").fetchall())
        conn.commit()
        evidence.record(
            "attempts per committed SERIALIZABLE increment (hot row)",
            round(calls[0] / max(committed, 1), 2),
            "",
            detail=f"{workers}×{each} increments: {calls[0]} attempts for {committed} commits in "
            f"{(t1 - t0) * 1000:.0f} ms; the same under SELECT … FOR UPDATE: {(t2 - t1) * 1000:.0f} ms, no retries",
        )
        assert counts[1] == committed, (
            f"the counter reads {counts[1]} after {committed} committed increments through run_serializable: "
            "an increment was lost or applied twice"
        )
        assert counts[2] == locked == workers * each, "harness check: the row-lock baseline lost an increment"
