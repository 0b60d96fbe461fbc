"""Kata 09 — event sourcing with streams. Run: pytest katas/09_streams  (one level: --level 2)."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from contextlib import suppress

import pytest
import streams
from psycopg.types.json import Jsonb

from dojo.measure import ServerTime, compare, count_commands, postgres_server_time, redis_server_time
from dojo.race import ReadBarrier, crash_points, run_concurrently

level = pytest.mark.level

IDLE_MS = 50  # min_idle_ms used for recovery: short, so tests wait ~80 ms instead of minutes
IDLE_WAIT_S = 0.08  # long enough for pending entries to pass IDLE_MS


class Crash(BaseException):
    """The consumer's process dies mid-batch: not an error a handler or `consume` would catch."""


def crash(event: dict) -> None:
    raise Crash("the worker was killed")


def collect(state: list, event: dict) -> list:
    """A fold that keeps every event, to see exactly what replay delivered."""
    state.append(event)
    return state


OPENED = {"balance": 0, "deposits": 0, "withdrawals": 0}


def apply_account(state: dict, event: dict) -> dict:
    """The bank account's fold: the same function for the live state and for every replay."""
    if event["type"] == "deposited":
        return {**state, "balance": state["balance"] + event["amount"], "deposits": state["deposits"] + 1}
    if event["type"] == "withdrew":
        return {**state, "balance": state["balance"] - event["amount"], "withdrawals": state["withdrawals"] + 1}
    return state


def account_events(n: int) -> list[dict]:
    """Deposits and withdrawals as an application records them: the amount, and who, when, how."""
    return [
        {
            **({"type": "deposited", "amount": 100 + i} if i % 3 else {"type": "withdrew", "amount": 7 + i % 5}),
            "currency": "EUR",
            "at": f"2025-03-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
            "by": {"user": f"u-{i % 17}", "channel": ("app", "web", "branch")[i % 3], "ip": f"10.0.{i % 256}.7"},
            "reference": f"TX-{i:08d}",
        }
        for i in range(n)
    ]


def fold(events: list[dict], apply=apply_account, initial=OPENED):
    state = initial
    for event in events:
        state = apply(state, event)
    return state


def orders(n: int) -> list[dict]:
    return [{"type": "order_placed", "n": i} for i in range(n)]


def pending(r, stream: str, group: str) -> list[dict]:
    """The group's pending entries (delivered, not acknowledged): id, consumer, deliveries."""
    return r.xpending_range(stream, group, "-", "+", 10_000)


def pending_ids(r, stream: str, group: str) -> list[str]:
    return [p["message_id"] for p in pending(r, stream, group)]


def handled_twice_or_lost(counts: Counter, total: int) -> tuple[list[int], list[int]]:
    twice = sorted(n for n, c in counts.items() if c > 1)
    lost = sorted(set(range(total)) - set(counts))
    return twice, lost


@level(1)
class TestCore:
    def test_append_returns_the_id_of_the_new_entry(self, r):
        first = streams.append(r, "account:42", {"type": "opened", "owner": "ada"})
        second = streams.append(r, "account:42", {"type": "deposited", "amount": 50})
        assert isinstance(first, str) and isinstance(second, str), "append must return the entry id (a str)"
        assert [entry_id for entry_id, _ in r.xrange("account:42")] == [first, second], (
            "append must add one entry to the stream at key `stream` and return the id Redis gave it (XADD's reply)"
        )

    def test_events_round_trip_equal_through_replay(self, r):
        events = [
            {"type": "opened", "owner": "Zoë Ñúñez", "tags": ["vip", "€", "🚀"], "limits": {"daily": 500}},
            {"type": "deposited", "amount": 50, "fee": 0.1, "big": 2**63 + 7, "negative": -3, "zero": 0},
            {"type": "noted", "note": "", "code": "007", "ok": True, "no": False, "none": None},
            {"type": "nested", "data": {"a": [1, {"b": [2.5, "x"]}], "漢字": '"quoted"\n\ttab'}},
            {"type": "renamed", "to": "👩‍💻 O'Brien"},
        ]
        for event in events:
            streams.append(r, "account:42", event)
        replayed = streams.replay(r, "account:42", collect, [])
        assert replayed == events, (
            "replayed events differ from the appended ones: stream fields are flat strings, so store "
            f"the whole event in a form that keeps types and nesting (e.g. JSON).\nappended: {events}\nreplayed: {replayed}"
        )

    def test_replay_of_a_bank_account_equals_the_live_state(self, r):
        live = OPENED
        for event in account_events(30):
            streams.append(r, "account:42", event)
            live = apply_account(live, event)  # the state the application kept while it ran
        rebuilt = streams.replay(r, "account:42", apply_account, OPENED)
        assert rebuilt == live, (
            f"replaying the account's events gave {rebuilt}, but the live state was {live}: "
            "replay must fold every event, in order, through `apply`"
        )

    def test_replay_of_a_stream_that_does_not_exist_is_the_initial_state(self, r):
        assert streams.replay(r, "account:nobody", apply_account, OPENED) == OPENED, (
            "a stream with no events must replay to `initial`"
        )

    def test_ensure_group_creates_the_stream_and_the_group(self, r):
        streams.ensure_group(r, "orders", "billing")
        assert r.exists("orders"), (
            "ensure_group must create the stream if it does not exist (XGROUP CREATE ... MKSTREAM)"
        )
        assert [g["name"] for g in r.xinfo_groups("orders")] == ["billing"], "the consumer group was not created"

    def test_ensure_group_is_idempotent(self, r):
        streams.ensure_group(r, "orders", "billing")
        try:
            streams.ensure_group(r, "orders", "billing")  # every service instance calls it at start-up
        except Exception as exc:  # noqa: BLE001 - the point of the test
            pytest.fail(
                f"calling ensure_group for an existing group raised {type(exc).__name__}: {exc} — BUSYGROUP means "
                "the group is already there, which is fine"
            )
        assert [g["name"] for g in r.xinfo_groups("orders")] == ["billing"], "a second call must not add a group"

    def test_a_new_group_starts_from_the_first_event(self, r):
        events = orders(3)
        for event in events:  # appended before anybody listened
            streams.append(r, "orders", event)
        streams.ensure_group(r, "orders", "billing")
        seen = []
        streams.consume(r, "orders", "billing", "worker-1", seen.append, block_ms=20)
        assert seen == events, (
            f"a new group's consumer got {seen}: a group must start at the first event (id 0), not at '$' (only new ones)"
        )

    def test_consume_hands_every_event_to_the_handler_and_acknowledges_it(self, r):
        streams.ensure_group(r, "orders", "billing")
        events = orders(5)
        for event in events:
            streams.append(r, "orders", event)
        seen = []
        handled = streams.consume(r, "orders", "billing", "worker-1", seen.append, block_ms=20)
        assert seen == events, f"the handler received {seen}, expected the 5 events in order"
        assert handled == 5, f"consume returned {handled}: it must return how many events were handled"
        assert pending_ids(r, "orders", "billing") == [], (
            "handled entries are still pending: acknowledge (XACK) each entry once its handler returned"
        )
        assert streams.consume(r, "orders", "billing", "worker-1", seen.append, block_ms=20) == 0, (
            "with every event handled and acknowledged, the next consume must handle 0"
        )
        assert len(seen) == 5, "a handled event was delivered again"


@level(2)
class TestReplayAndDelivery:
    def test_replay_pages_have_no_duplicates_and_no_gaps(self, r):
        # At least 60 events, and two of them in one millisecond (ids ms-0, ms-1): a page size of
        # `same_ms` then ends a page between those two entries.
        ids: list[str] = []
        same_ms = None
        while len(ids) < 60 or (same_ms is None and len(ids) < 5_000):
            ids.append(streams.append(r, "ticks", {"type": "tick", "n": len(ids)}))
            if same_ms is None and len(ids) > 1 and ids[-1].split("-")[0] == ids[-2].split("-")[0]:
                same_ms = len(ids) - 1
        assert same_ms, "harness check: thousands of appends in a row should put two entries in one millisecond"
        total = len(ids)
        for page_size in (10, 7, same_ms, total, total + 1, 500, 1):
            seen = [e["n"] for e in streams.replay(r, "ticks", collect, [], page_size=page_size)]
            twice, lost = handled_twice_or_lost(Counter(seen), total)
            assert not twice, (
                f"with page_size={page_size}, events {twice[:5]} were folded twice: the next page must start "
                "AFTER the last id read (exclusive '(' + id), not at it"
            )
            assert not lost, (
                f"with page_size={page_size}, events {lost[:5]} were skipped: entries can share a millisecond "
                "(ids 1700000000000-0, -1, ...): continue right after the last id, not at the next millisecond"
            )
            assert seen == list(range(total)), f"with page_size={page_size}, events came out of order: {seen}"

    def test_time_travel_replays_up_to_and_including_until_id(self, r):
        events = account_events(25)
        ids = [streams.append(r, "account:42", e) for e in events]
        for page_size in (4, 13, 100, 1):
            then = streams.replay(r, "account:42", apply_account, OPENED, until_id=ids[12], page_size=page_size)
            assert then == fold(events[:13]), (
                f"replay until the 13th event's id (page_size={page_size}) gave {then}, expected {fold(events[:13])}: "
                "fold every event up to and including until_id, and none after it"
            )
        assert streams.replay(r, "account:42", collect, [], until_id=ids[0]) == events[:1], (
            "replay until the first event's id must fold exactly that one event"
        )
        assert streams.replay(r, "account:42", collect, [], until_id=ids[-1]) == events, (
            "replay until the last event's id must fold every event"
        )

    def test_the_stream_is_never_trimmed(self, r):
        ids = [streams.append(r, "account:42", {"type": "deposited", "amount": 1}) for _ in range(1200)]
        assert r.xlen("account:42") == 1200, (
            f"the stream holds {r.xlen('account:42')} of 1200 events: an event log must never be trimmed (no MAXLEN)"
        )
        assert r.xrange("account:42", count=1)[0][0] == ids[0], "the first event is gone from the stream"
        assert streams.replay(r, "account:42", apply_account, OPENED)["balance"] == 1200, (
            "1,200 deposits of 1 must replay to a balance of 1,200"
        )

    def test_an_event_whose_handler_raises_stays_pending(self, r):
        streams.ensure_group(r, "orders", "billing")
        ids = [streams.append(r, "orders", e) for e in orders(3)]

        def handler(event: dict) -> None:
            if event["n"] == 1:
                raise ValueError("payment gateway down")

        with suppress(ValueError):
            streams.consume(r, "orders", "billing", "worker-1", handler, block_ms=20)
        still = pending_ids(r, "orders", "billing")
        assert ids[1] in still, (
            "the entry whose handler raised was acknowledged: acknowledge only after the handler returned, "
            "so a failed event stays pending and is retried"
        )
        assert ids[0] not in still, "the entry whose handler returned must be acknowledged"

    def test_consume_retries_its_own_pending_entries_before_new_ones(self, r):
        streams.ensure_group(r, "orders", "billing")
        for event in orders(3):
            streams.append(r, "orders", event)
        fail_once = {1}
        seen = []

        def handler(event: dict) -> None:
            if event["n"] in fail_once:
                fail_once.discard(event["n"])
                raise ValueError("database briefly unavailable")
            seen.append(event["n"])

        with suppress(ValueError):
            streams.consume(r, "orders", "billing", "worker-1", handler, block_ms=20)
        for event in orders(5)[3:]:
            streams.append(r, "orders", event)
        for _ in range(3):
            with suppress(ValueError):
                streams.consume(r, "orders", "billing", "worker-1", handler, block_ms=20)
        assert 1 in seen, (
            "event 1 failed once and was never retried: consume must first re-read this consumer's own "
            "pending entries (XREADGROUP ... 0), because '>' only ever returns new entries"
        )
        assert sorted(seen) == [0, 1, 2, 3, 4], f"handled {seen}: every event exactly once"
        assert seen.index(1) < seen.index(3), (
            f"handled in the order {seen}: a consumer's own pending entries come before new ones"
        )
        assert pending_ids(r, "orders", "billing") == [], "once every event was handled, none may stay pending"

    def test_consume_waits_up_to_block_ms_for_new_events(self, r, make_redis):
        streams.ensure_group(r, "orders", "billing")
        seen = []
        started = time.monotonic()
        handled = streams.consume(r, "orders", "billing", "worker-1", seen.append, block_ms=100)
        waited = time.monotonic() - started
        assert handled == 0 and seen == [], "with no event in the stream, consume must handle nothing and return 0"
        assert 0.07 <= waited < 2, f"with nothing to do, consume returned after {waited:.3f} s: it must wait ~block_ms"

        producer = threading.Timer(0.2, streams.append, (make_redis(), "orders", {"type": "order_placed", "n": 0}))
        producer.start()
        started = time.monotonic()
        handled = streams.consume(r, "orders", "billing", "worker-1", seen.append, block_ms=5_000)
        waited = time.monotonic() - started
        producer.join()
        assert handled == 1 and seen == [{"type": "order_placed", "n": 0}], (
            "an event appended while consume waited was not handled: wait for new entries (XREADGROUP BLOCK block_ms), "
            "don't return at once and make callers poll"
        )
        assert waited < 3, f"consume took {waited:.1f} s: it must return as soon as an event arrives"

    def test_a_crashed_consumers_events_are_recovered_by_another_none_lost(self, r):
        streams.ensure_group(r, "orders", "billing")
        for event in orders(12):
            streams.append(r, "orders", event)
        handled: list[tuple[str, int]] = []

        def worker_a(event: dict) -> None:  # handles three events, then its process dies
            if len(handled) == 3:
                raise Crash("killed while handling an event")
            handled.append(("A", event["n"]))

        with suppress(Crash):
            streams.consume(r, "orders", "billing", "A", worker_a, count=10)
        assert handled == [("A", 0), ("A", 1), ("A", 2)], f"worker A handled {handled} before crashing"

        time.sleep(IDLE_WAIT_S)  # A stays dead: its unacknowledged entries go idle
        recovered = streams.recover(
            r, "orders", "billing", "B", IDLE_MS, lambda e: handled.append(("B-recover", e["n"]))
        )
        streams.consume(r, "orders", "billing", "B", lambda e: handled.append(("B", e["n"])), block_ms=20)

        twice, lost = handled_twice_or_lost(Counter(n for _, n in handled), 12)
        assert not lost, (
            f"events {lost} were lost when worker A crashed: an entry must be acknowledged only after its "
            "handler returned, so that a crash leaves it pending for recover"
        )
        assert not twice, f"events {twice} were handled twice: {handled}"
        assert ("B-recover", 3) in handled, (
            "the event A crashed on is pending for A, so only recover can take it over (XAUTOCLAIM/XCLAIM)"
        )
        assert recovered == sum(1 for who, _ in handled if who == "B-recover"), (
            f"recover returned {recovered}: it must return how many entries it handled"
        )
        assert pending_ids(r, "orders", "billing") == [], "entries are still pending after recovery"

    def test_recover_leaves_entries_a_live_consumer_is_still_working_on(self, r):
        streams.ensure_group(r, "orders", "billing")
        for event in orders(5):
            streams.append(r, "orders", event)
        with suppress(Crash):  # A has just read its batch (and is busy, or dead: nobody knows yet)
            streams.consume(r, "orders", "billing", "A", crash)
        calls = []
        taken = streams.recover(r, "orders", "billing", "B", 60_000, calls.append)
        assert taken == 0 and calls == [], (
            "recover took entries idle for less than min_idle_ms: that steals work a slow but live consumer "
            "is still doing, and the event is handled twice (claim with a min-idle-time)"
        )
        owners = {p["consumer"] for p in pending(r, "orders", "billing")}
        assert owners == {"A"}, f"the pending entries now belong to {owners}, they must stay with A"

    def test_recover_takes_over_every_idle_entry(self, r):
        streams.ensure_group(r, "orders", "billing")
        for event in orders(250):
            streams.append(r, "orders", event)
        with suppress(Crash):
            streams.consume(r, "orders", "billing", "A", crash, count=250)
        assert len(pending(r, "orders", "billing")) == 250, "harness check: consume(count=250) should read 250 entries"
        time.sleep(IDLE_WAIT_S)
        seen = []
        taken = streams.recover(r, "orders", "billing", "B", IDLE_MS, lambda e: seen.append(e["n"]))
        assert sorted(seen) == list(range(250)), (
            f"recover handled {len(seen)} of 250 idle entries: XAUTOCLAIM returns a batch and a cursor — call it "
            "again with the cursor until it returns 0-0"
        )
        assert taken == 250 and pending_ids(r, "orders", "billing") == [], (
            f"recover must return 250 and leave nothing pending; it returned {taken}"
        )

    def test_acknowledged_events_never_come_back(self, r):
        streams.ensure_group(r, "orders", "billing")
        for event in orders(5):
            streams.append(r, "orders", event)
        assert streams.consume(r, "orders", "billing", "A", lambda e: None, block_ms=20) == 5, (
            "consume must handle the 5 new events"
        )
        time.sleep(IDLE_WAIT_S)
        again = []
        assert streams.recover(r, "orders", "billing", "B", IDLE_MS, again.append) == 0 and again == [], (
            f"recover handed out acknowledged events {again}: acknowledge every handled entry (XACK)"
        )
        streams.consume(r, "orders", "billing", "A", again.append, block_ms=20)
        streams.ensure_group(r, "orders", "billing")  # a restarted service calls it again
        streams.consume(r, "orders", "billing", "C", again.append, block_ms=20)
        assert again == [], (
            f"acknowledged events came back: {again}. ensure_group must leave an existing group's position alone"
        )

    def test_poison_events_end_in_the_dead_stream_and_are_acknowledged(self, r):
        streams.ensure_group(r, "orders", "billing")
        poison = {"type": "order_placed", "n": 1, "items": [{"sku": "💣", "qty": -1}]}
        for event in (orders(1)[0], poison, orders(3)[2]):
            streams.append(r, "orders", event)
        attempts: Counter = Counter()
        good = []

        def handler(event: dict) -> None:
            attempts[event["n"]] += 1
            if event["n"] == 1:
                raise ValueError("cannot handle a negative quantity")
            good.append(event["n"])

        with suppress(ValueError):
            streams.consume(r, "orders", "billing", "A", handler, block_ms=20)
        for _ in range(8):  # each round: the entry goes idle, another consumer claims it
            if r.xlen("orders:dead") and not pending_ids(r, "orders", "billing"):
                break
            time.sleep(IDLE_WAIT_S)
            with suppress(ValueError):
                streams.recover(r, "orders", "billing", "B", IDLE_MS, handler)  # max_deliveries=3
        dead = streams.replay(r, "orders:dead", collect, [])
        assert dead, (
            f"the poison event was tried {attempts[1]} times and never dead-lettered: after more than "
            "max_deliveries deliveries (XPENDING's delivery count) move it to {stream}:dead"
        )
        assert len(dead) == 1, (
            f"{{stream}}:dead holds {len(dead)} copies of the poison event: acknowledge it (XACK) when you "
            "dead-letter it, or it stays pending and is dead-lettered again"
        )
        assert all(dead[0].get(k) == v for k, v in poison.items()), f"the dead stream holds {dead[0]}, not {poison}"
        assert pending_ids(r, "orders", "billing") == [], "a dead-lettered entry must be acknowledged"
        assert 3 <= attempts[1] <= 4, (
            f"the poison event was handled {attempts[1]} times: retry it until it was delivered more than "
            "max_deliveries (3) times, then stop"
        )
        tries = attempts[1]
        time.sleep(IDLE_WAIT_S)
        with suppress(ValueError):
            streams.recover(r, "orders", "billing", "B", IDLE_MS, handler)
        assert attempts[1] == tries and r.xlen("orders:dead") == 1, "a dead-lettered event came back"
        assert sorted(good) == [0, 2], f"the good events were handled as {good}"

    def test_a_consumer_that_dies_between_any_two_steps_loses_no_event(self, r, make_redis):
        # The client is killed right after its 1st write, then (a fresh run) after its 2nd, ...: a
        # consume of three events, and a recover that dead-letters a poison event. Every event must
        # then be handled, or still pending (for a retry or a recover), or in the dead stream — a
        # poison event acknowledged before it reached {stream}:dead is lost for good.
        handled: list[int] = []
        ids: list[str] = []

        def setup(poison: bool) -> None:
            r.flushdb()
            handled.clear()
            streams.ensure_group(r, "orders", "billing")
            ids[:] = [streams.append(r, "orders", e) for e in orders(3)]
            if poison:  # delivered 4 times already: more than max_deliveries=3
                with suppress(Crash):
                    streams.consume(r, "orders", "billing", "A", crash, count=3)
                for _ in range(3):
                    r.xclaim("orders", "billing", "A", 0, ids)

        def entry(entry_id: str) -> tuple[int, int]:
            ms, seq = entry_id.split("-")
            return int(ms), int(seq)

        def check(point) -> None:
            waiting = set(pending_ids(r, "orders", "billing"))
            [group] = r.xinfo_groups("orders")
            undelivered = {i for i in ids if entry(i) > entry(group["last-delivered-id"])}
            dead = {e["n"] for e in streams.replay(make_redis(), "orders:dead", collect, [])}
            lost = [
                n
                for n, entry_id in enumerate(ids)
                if n not in handled and n not in dead and entry_id not in waiting | undelivered
            ]
            assert not lost, (
                f"the consumer died {point} and events {lost} were neither handled, nor pending, nor dead-lettered: "
                "acknowledge an entry only once it was handled or copied to {stream}:dead (copy and acknowledge "
                "in one MULTI/EXEC)"
            )

        def consume(client) -> None:
            streams.consume(client, "orders", "billing", "B", lambda e: handled.append(e["n"]), count=3, block_ms=20)

        def rescue(client) -> None:
            streams.recover(client, "orders", "billing", "B", 0, lambda e: handled.append(e["n"]))

        assert crash_points(make_redis, consume, check, setup=lambda: setup(False)), "consume wrote nothing"
        assert crash_points(make_redis, rescue, check, setup=lambda: setup(True)), "recover wrote nothing"


@level(3)
class TestConcurrency:
    def test_consumers_in_one_group_share_the_work_each_event_handled_once(self, r, make_redis):
        streams.ensure_group(r, "orders", "billing")
        for event in orders(60):
            streams.append(r, "orders", event)
        client = make_redis()
        handled: list[tuple[int, int]] = []
        lock = threading.Lock()
        first_has_work = threading.Event()
        others_finished = threading.Event()
        finished = []

        def handler_for(worker: int):
            def handle(event: dict) -> None:
                # Worker 0 holds its first batch, unacknowledged, until the other three ran out of
                # work. Whatever they can see of it, they would handle too.
                if worker == 0:
                    first_has_work.set()
                    others_finished.wait(5)
                else:
                    first_has_work.wait(5)
                with lock:
                    handled.append((worker, event["n"]))

            return handle

        def work(worker: int) -> None:
            handle = handler_for(worker)
            while streams.consume(client, "orders", "billing", f"worker-{worker}", handle, count=10, block_ms=50):
                pass
            if worker:
                with lock:
                    finished.append(worker)
                    if len(finished) == 3:
                        others_finished.set()

        run_concurrently(work, 4, timeout_s=30)
        twice, lost = handled_twice_or_lost(Counter(n for _, n in handled), 60)
        assert not twice, (
            f"events {twice[:8]} were handled by two consumers: each consumer must read as its own name "
            "(XREADGROUP GROUP group consumer) so that entries delivered to one are invisible to the others"
        )
        assert not lost, f"events {lost[:8]} were never handled"
        assert len({w for w, _ in handled}) >= 2, "one consumer did all the work: the group must share it"
        assert pending_ids(r, "orders", "billing") == [], "once all 60 events were handled, none may stay pending"

    def test_two_recoverers_never_handle_the_same_entry_twice(self, r, make_redis):
        streams.ensure_group(r, "orders", "billing")
        for event in orders(20):
            streams.append(r, "orders", event)
        with suppress(Crash):
            streams.consume(r, "orders", "billing", "A", crash, count=20)
        time.sleep(IDLE_WAIT_S)
        # Both recoverers' XPENDING replies are held until both have listed the idle entries:
        # "list, then claim whatever was listed" lets both take them. A claim that re-checks
        # the idle time (XCLAIM/XAUTOCLAIM with min-idle-time) lets only the first one win.
        client = make_redis(on_reply=ReadBarrier(2, commands=("XPENDING",)))
        handled: list[tuple[int, int]] = []
        lock = threading.Lock()

        def rescue(i: int) -> int:
            def handle(event: dict) -> None:
                time.sleep(0.001)
                with lock:
                    handled.append((i, event["n"]))

            return streams.recover(client, "orders", "billing", f"rescuer-{i}", IDLE_MS, handle)

        taken = run_concurrently(rescue, 2)
        twice, lost = handled_twice_or_lost(Counter(n for _, n in handled), 20)
        assert not twice, (
            f"events {twice[:8]} were handled by both recoverers: claiming must re-check the idle time "
            "atomically (XAUTOCLAIM, or XCLAIM with min-idle-time), not trust an earlier XPENDING listing"
        )
        assert not lost, f"events {lost} were not recovered"
        assert sum(taken) == 20, f"the recoverers reported {taken}, but 20 entries were handled"


@level(4)
class TestEvidence:
    def test_replay_reads_one_page_per_round_trip(self, r, evidence):
        ids = [streams.append(r, "account:42", e) for e in account_events(500)]
        figures, reads_per_run = [], []
        for page_size, until_id, events in ((100, None, 500), (7, None, 500), (100, ids[349], 350)):
            with count_commands(r) as counts:
                streams.replay(r, "account:42", apply_account, OPENED, until_id=until_id, page_size=page_size)
            reads = counts.of("xrange", "xrevrange", "xread")
            pages = math.ceil(events / page_size)
            figures.append(f"{events} events / page {page_size}: {reads} reads")
            reads_per_run.append(reads)
            assert reads >= pages, (
                f"replaying {events} events in pages of {page_size} took {reads} stream reads: read page by page "
                "(XRANGE ... COUNT page_size), never the whole stream at once"
            )
            assert reads <= pages + 1, (
                f"replaying {events} events in pages of {page_size} took {reads} stream reads, expected ~{pages}"
                + (": time travel must stop reading at until_id" if until_id else "")
            )
        evidence.record(
            "stream reads to replay 500 events in pages of 100",
            reads_per_run[0],
            " reads",
            detail="; ".join(figures),
        )

    @pytest.mark.perf
    def test_replay_from_a_stream_against_a_postgresql_event_log(self, r, conn, evidence):
        events = account_events(1000)
        for event in events:
            streams.append(r, "account:42", event)
        # The baseline: the same events in a PostgreSQL table, read in id order, page by page
        # (keyset pagination), folded by the same function.
        conn.execute(
            "CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, stream text NOT NULL, event jsonb NOT NULL)"
        )
        conn.execute("CREATE INDEX events_stream_id ON events (stream, id)")
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO events (stream, event) VALUES (%s, %s)", [("account:42", Jsonb(e)) for e in events]
            )
        conn.execute("ANALYZE events")
        conn.commit()

        def replay_from_postgresql() -> dict:
            state, last = OPENED, 0
            while True:
                rows = conn.execute(
                    "SELECT id, event FROM events WHERE stream = %s AND id > %s ORDER BY id LIMIT %s",
                    ("account:42", last, 100),
                ).fetchall()
                for _, event in rows:
                    state = apply_account(state, event)
                if len(rows) < 100:
                    conn.commit()
                    return state
                last = rows[-1][0]

        def replay_from_stream() -> dict:
            return streams.replay(r, "account:42", apply_account, OPENED, page_size=100)

        assert replay_from_stream() == replay_from_postgresql() == fold(events), (
            "the replay from the stream must equal the replay from the PostgreSQL log and the live state"
        )
        redis_before, pg_before = redis_read_time(r), postgres_read_time(conn)
        conn.commit()
        result = compare(replay_from_postgresql, replay_from_stream, repeats=9)
        redis_us = redis_read_time(r).since(redis_before).mean_usec or 0.0
        pg_us = postgres_read_time(conn).since(pg_before).mean_usec or 0.0
        conn.commit()
        # The record says what this run saw: a speed-up, or a slow-down, never a claim it did not measure.
        verdict = f"{result.ratio:.1f}× faster" if result.ratio >= 1 else f"{1 / result.ratio:.1f}× SLOWER"
        evidence.record(
            "replay of 1,000 events (pages of 100, end to end in Python): speed-up of a Redis stream over a "
            "PostgreSQL event log (below 1×: the stream was slower)",
            round(result.ratio, 2),
            "×",
            claim="37× faster than a PostgreSQL event log",
            detail=f"PostgreSQL {result.baseline_s * 1000:.2f} ms, stream {result.pattern_s * 1000:.2f} ms: the stream "
            f"was {verdict} here (median of {result.repeats})",
        )
        evidence.record(
            "server time per page of 100 events, PostgreSQL ÷ Redis",
            round(pg_us / redis_us, 2) if redis_us else 0,
            "×",
            detail=f"PostgreSQL {pg_us:.0f} µs per query, Redis {redis_us:.0f} µs per stream read",
        )
        assert redis_us and pg_us, "harness check: both servers should have counted the replay's reads"
        assert pg_us / redis_us >= SERVER_THRESHOLD, (
            f"the server spent {redis_us:.0f} µs per stream read against PostgreSQL's {pg_us:.0f} µs per query: "
            "read whole pages (XRANGE with COUNT), not entry by entry"
        )
        assert result.ratio >= THRESHOLD, (
            f"replaying from the stream took {result.pattern_s * 1000:.1f} ms against PostgreSQL's "
            f"{result.baseline_s * 1000:.1f} ms ({verdict}); this machine measured the stream at about {OBSERVED}× "
            "PostgreSQL's speed: read a page of entries per round trip and decode each event once, with a fast "
            "decoder (json), not one that parses Python source (ast.literal_eval, eval)"
        )


def redis_read_time(r) -> ServerTime:
    return redis_server_time(r, "xrange", "xread")


def postgres_read_time(conn) -> ServerTime:
    return postgres_server_time(conn, "SELECT id, event FROM events")


# Measured on this machine (embedded Redis 8.2 and PostgreSQL 18, the other core busy); thresholds
# are at most a third of the lowest seen. The reference replays at 1.1×–1.9× PostgreSQL's speed; a
# correct design with one JSON value per field at 0.43×–0.65× under heavy load; a replay that parses
# repr() with ast.literal_eval at 0.2×: it fails, as does any replay 3.3× slower than PostgreSQL.
OBSERVED = 1.0  # end to end in Python, stream ÷ PostgreSQL (lowest seen, rounded down)
THRESHOLD = 0.3
SERVER_THRESHOLD = 1.5 / 3  # server time per page, PostgreSQL / Redis
