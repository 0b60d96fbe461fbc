"""Kata 08 — publish/subscribe. Run: pytest katas/08_pubsub  (one level: --level 2)."""

from __future__ import annotations

import json
import queue
import random
import statistics
import threading
import time
import uuid
from collections import defaultdict

import pubsub
import pytest

from dojo.measure import count_commands
from dojo.race import eventually, pause_after, run_concurrently

level = pytest.mark.level

CLOSE_NOTICED_S = 1.0  # how long the server may take to drop a stopped subscriber (a closed socket)


def soon(condition):
    """`condition()` once it holds, polled for up to CLOSE_NOTICED_S (falsy if it never did)."""
    return eventually(condition, timeout_s=CLOSE_NOTICED_S)


# Pub/sub channels are server-wide (not per database): every test names its channels and
# patterns under a prefix of its own, so tests running in parallel never hear each other.


@pytest.fixture
def ns() -> str:
    return uuid.uuid4().hex[:10]


class Inbox:
    """A handler that records every call, and lets the test wait for deliveries (no sleeps)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []
        self._cond = threading.Condition()

    def __call__(self, channel: str, data: object) -> None:
        with self._cond:
            self.calls.append((channel, data))
            self._cond.notify_all()

    def wait_for(self, count: int, timeout_s: float = 5.0) -> bool:
        """True once `count` calls were recorded; False if they did not come within `timeout_s`."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self.calls) >= count, timeout_s)

    def wait_for_data(self, data: object, timeout_s: float = 5.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: any(d == data for _, d in self.calls), timeout_s)


class Subscribers:
    """Creates and starts Subscribers; every one is stopped when the test ends, also on failure."""

    def __init__(self) -> None:
        self.started: list[pubsub.Subscriber] = []

    def start(self, client, handler, channels=(), patterns=()) -> pubsub.Subscriber:
        subscriber = pubsub.Subscriber(client, handler, channels=channels, patterns=patterns)
        self.started.append(subscriber)
        subscriber.start()
        return subscriber

    def stop_all(self) -> None:
        for subscriber in self.started:
            # In a daemon thread: a broken stop() must not hang the whole run.
            t = threading.Thread(target=lambda s=subscriber: _quietly(s.stop), daemon=True)
            t.start()
            t.join(5)


def _quietly(fn) -> None:
    try:
        fn()
    except Exception:  # noqa: BLE001 - the test itself reports what went wrong
        pass


@pytest.fixture
def subscribers(make_redis):  # make_redis first: its clients close after the subscribers stopped
    s = Subscribers()
    yield s
    s.stop_all()


def by_channel(calls: list[tuple[str, object]]) -> list[tuple[str, object]]:
    return sorted(calls, key=lambda call: (call[0], json.dumps(call[1], sort_keys=True)))


def subscriber_connections(r) -> list[dict]:
    """Connections in this test's database that are subscribed, or whose last command was a (un)subscribe."""
    db = r.client_info()["db"]
    verbs = {"subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe"}
    return [
        c for c in r.client_list() if c["db"] == str(db) and (c["sub"] != "0" or c["psub"] != "0" or c["cmd"] in verbs)
    ]


@level(1)
class TestCore:
    def test_publish_returns_0_when_nobody_listens(self, r, ns):
        assert pubsub.publish(r, f"{ns}:news", {"title": "hello"}) == 0, (
            "publish must return Redis's receiver count (PUBLISH's reply): 0 when nobody is subscribed"
        )

    def test_a_subscriber_receives_the_channel_and_the_data(self, r, make_redis, ns, subscribers):
        inbox = Inbox()
        subscribers.start(make_redis(), inbox, channels=[f"{ns}:news"])
        received = pubsub.publish(r, f"{ns}:news", {"title": "hello", "n": 1})
        assert received == 1, f"publish returned {received}: one subscriber listens, so Redis counts 1 receiver"
        assert inbox.wait_for(1), "the subscriber's handler was never called for a message on its channel"
        assert inbox.calls == [(f"{ns}:news", {"title": "hello", "n": 1})], (
            f"the handler must get (channel, data) — the data as published, unwrapped from its envelope; got {inbox.calls}"
        )

    def test_messages_travel_as_json_envelopes_with_a_fresh_id(self, r, make_redis, ns):
        listener = make_redis().pubsub()
        listener.subscribe(f"{ns}:raw")
        assert listener.get_message(timeout=5)["type"] == "subscribe", "harness check: a plain SUBSCRIBE is confirmed"
        pubsub.publish(r, f"{ns}:raw", {"n": 1})
        pubsub.publish(r, f"{ns}:raw", {"n": 1})
        envelopes = []
        for _ in range(2):
            message = listener.get_message(timeout=5)
            assert message is not None, "a published message never reached a plain SUBSCRIBE on its channel"
            envelopes.append(json.loads(message["data"]))
        listener.close()
        assert all(e.get("data") == {"n": 1} for e in envelopes), (
            f"a message must travel as a JSON envelope {{'id': ..., 'data': <the dict>}}; got {envelopes}"
        )
        ids = [e.get("id") for e in envelopes]
        assert all(ids) and ids[0] != ids[1], (
            f"every published message needs a fresh id (got {ids}): subscribers tell duplicates apart by it"
        )

    def test_a_subscriber_hears_only_its_own_channels(self, r, make_redis, ns, subscribers):
        inbox = Inbox()
        subscribers.start(make_redis(), inbox, channels=[f"{ns}:news"])
        assert pubsub.publish(r, f"{ns}:sport", {"n": 1}) == 0, "nobody listens on the other channel"
        pubsub.publish(r, f"{ns}:news", {"n": 2})
        assert inbox.wait_for(1), "a message on the subscribed channel never reached the handler"
        assert inbox.calls == [(f"{ns}:news", {"n": 2})], (
            f"the handler got {inbox.calls}: only messages on the subscribed channels may arrive"
        )

    def test_patterns_route_user_and_order_events_to_their_services(self, r, make_redis, ns, subscribers):
        users, orders = Inbox(), Inbox()
        subscribers.start(make_redis(), users, patterns=[f"{ns}:user:*"])
        subscribers.start(make_redis(), orders, patterns=[f"{ns}:order:*"])
        counts = [
            pubsub.publish(r, f"{ns}:user:1", {"event": "login"}),
            pubsub.publish(r, f"{ns}:order:7", {"event": "paid"}),
            pubsub.publish(r, f"{ns}:user:2", {"event": "logout"}),
            pubsub.publish(r, f"{ns}:product:3", {"event": "restocked"}),
        ]
        assert counts == [1, 1, 1, 0], f"receiver counts were {counts}: each pattern service should get its own events"
        assert users.wait_for(2) and orders.wait_for(1), "a pattern subscriber missed messages that match its pattern"
        assert by_channel(users.calls) == [
            (f"{ns}:user:1", {"event": "login"}),
            (f"{ns}:user:2", {"event": "logout"}),
        ], f"the user:* service got {users.calls}"
        assert orders.calls == [(f"{ns}:order:7", {"event": "paid"})], f"the order:* service got {orders.calls}"

    def test_stop_unsubscribes_and_closes_its_connection(self, r, make_redis, ns, subscribers):
        inbox = Inbox()
        subscriber = subscribers.start(make_redis(), inbox, channels=[f"{ns}:news"], patterns=[f"{ns}:user:*"])
        assert r.pubsub_numsub(f"{ns}:news") == [(f"{ns}:news", 1)], "start() must have subscribed to the channel"
        subscriber.stop()
        # Closing the connection is enough: the server then drops its subscriptions within moments.
        assert soon(lambda: r.pubsub_numsub(f"{ns}:news") == [(f"{ns}:news", 0)]), (
            "1 s after stop() the server still counts a subscriber on the channel: unsubscribe (or close the connection)"
        )
        assert soon(lambda: r.publish(f"{ns}:user:1", "{}") == 0), (
            "1 s after stop() a message matching the pattern still found a receiver: punsubscribe (or close the connection)"
        )
        left = subscriber_connections(r) if not soon(lambda: not subscriber_connections(r)) else []
        assert not left, (
            f"after stop() the subscriber's connection is still open ({left[0]['addr']}, last command {left[0]['cmd']}): "
            "close it, or every stopped subscriber leaks a connection"
        )


@level(2)
class TestEdges:
    def test_a_channel_and_a_pattern_that_both_match_deliver_once(self, r, make_redis, ns, subscribers):
        inbox = Inbox()
        subscribers.start(make_redis(), inbox, channels=[f"{ns}:user:1"], patterns=[f"{ns}:user:*"])
        received = pubsub.publish(r, f"{ns}:user:1", {"n": 1})
        assert received == 2, (
            f"publish returned {received}: Redis counts the channel and the pattern subscription (2); return its count"
        )
        # Redis delivers a message to one connection in order: once the next message has been
        # handled, a duplicate of the first would have been handled too.
        pubsub.publish(r, f"{ns}:user:1", {"n": 2})
        assert inbox.wait_for_data({"n": 2}), "a message on a subscribed channel never reached the handler"
        ones = [call for call in inbox.calls if call[1] == {"n": 1}]
        assert len(ones) == 1, (
            f"one message reached the handler {len(ones)} times: Redis delivers it once per matching channel and "
            "pattern, so handle each envelope id once"
        )

    def test_overlapping_patterns_deliver_once(self, r, make_redis, ns, subscribers):
        inbox = Inbox()
        subscribers.start(make_redis(), inbox, patterns=[f"{ns}:user:*", f"{ns}:*"])
        assert pubsub.publish(r, f"{ns}:user:1", {"n": 1}) == 2, "two matching patterns: Redis counts 2 receivers"
        pubsub.publish(r, f"{ns}:user:1", {"n": 2})
        assert inbox.wait_for_data({"n": 2}), "a message matching the patterns never reached the handler"
        ones = [call for call in inbox.calls if call[1] == {"n": 1}]
        assert len(ones) == 1, f"a message matching two patterns reached the handler {len(ones)} times, not once"

    def test_two_messages_with_equal_data_are_both_delivered(self, r, make_redis, ns, subscribers):
        inbox = Inbox()
        subscribers.start(make_redis(), inbox, channels=[f"{ns}:ping"], patterns=[f"{ns}:p*"])
        pubsub.publish(r, f"{ns}:ping", {"beep": True})
        pubsub.publish(r, f"{ns}:ping", {"beep": True})
        pubsub.publish(r, f"{ns}:ping", {"last": True})
        assert inbox.wait_for_data({"last": True}), "a message on the subscribed channel never reached the handler"
        beeps = [call for call in inbox.calls if call[1] == {"beep": True}]
        assert len(beeps) == 2, (
            f"two messages with equal data reached the handler {len(beeps)} time(s), not 2: handle each envelope id "
            "once — not each delivery, and not each distinct content"
        )

    def test_subscription_confirmations_never_reach_the_handler(self, r, make_redis, ns, subscribers):
        inbox = Inbox()
        subscriber = subscribers.start(make_redis(), inbox, channels=[f"{ns}:a", f"{ns}:b"], patterns=[f"{ns}:order:*"])
        pubsub.publish(r, f"{ns}:a", {"n": 1})
        assert inbox.wait_for(1), "a message on a subscribed channel never reached the handler"
        subscriber.stop()
        assert inbox.calls == [(f"{ns}:a", {"n": 1})], (
            f"the handler got {inbox.calls}: (un)subscribe confirmations are protocol replies, not messages — skip them"
        )

    def test_a_pattern_match_passes_the_published_channel(self, r, make_redis, ns, subscribers):
        inbox = Inbox()
        subscribers.start(make_redis(), inbox, patterns=[f"{ns}:user:*"])
        pubsub.publish(r, f"{ns}:user:42", {"event": "login"})
        assert inbox.wait_for(1), "a message matching the pattern never reached the handler"
        channel = inbox.calls[0][0]
        assert channel == f"{ns}:user:42", (
            f"the handler got channel {channel!r}: for a pattern match pass the channel the message was published on "
            "(the 'channel' of a pmessage), not the pattern"
        )

    def test_a_handler_that_raises_does_not_kill_the_subscriber(self, r, make_redis, ns, subscribers):
        inbox = Inbox()

        def fragile(channel, data):
            if data.get("poison"):
                raise ValueError("cannot handle this one")
            inbox(channel, data)

        subscribers.start(make_redis(), fragile, channels=[f"{ns}:jobs"])
        pubsub.publish(r, f"{ns}:jobs", {"poison": True})
        received = pubsub.publish(r, f"{ns}:jobs", {"n": 2})
        assert inbox.wait_for(1, timeout_s=1.0), (
            "after a handler raised, the next message was never handled: catch the handler's exception "
            "(log it) so one bad message does not kill the subscriber's thread"
        )
        assert received == 1 and inbox.calls == [(f"{ns}:jobs", {"n": 2})], (
            f"after the poison message, the next one must be handled once, got {inbox.calls}"
        )

    def test_stopping_twice_is_harmless(self, r, make_redis, ns, subscribers):
        subscriber = subscribers.start(make_redis(), Inbox(), channels=[f"{ns}:news"])
        subscriber.stop()
        subscriber.stop()  # e.g. once by a shutdown hook and once by a `finally:`
        assert soon(lambda: r.pubsub_numsub(f"{ns}:news") == [(f"{ns}:news", 0)]), (
            "1 s after stop() the server still counted a subscriber on the channel"
        )


@level(3)
class TestConcurrency:
    def test_a_message_published_right_after_start_is_received(self, r, make_redis, ns, subscribers):
        # This subscriber's client is slow: every handshake reply is held 0.1 s, and each SUBSCRIBE
        # and PSUBSCRIBE takes 0.3 s to reach the server, so its confirmation comes 0.3 s late. A
        # start() that leaves subscribing to the background thread, or that sends SUBSCRIBE and
        # returns without reading the confirmations, returns before the server knows the
        # subscription — and pub/sub drops messages nobody is subscribed to yet.
        slow = make_redis(
            on_reply=pause_after(["HELLO", "CLIENT", "SELECT", "AUTH"], 0.1), late={"SUBSCRIBE": 0.3, "PSUBSCRIBE": 0.3}
        )
        inbox = Inbox()
        subscribers.start(slow, inbox, channels=[f"{ns}:news"], patterns=[f"{ns}:user:*"])
        on_channel = pubsub.publish(r, f"{ns}:news", {"n": 1})
        on_pattern = pubsub.publish(r, f"{ns}:user:9", {"n": 2})
        assert (on_channel, on_pattern) == (1, 1), (
            f"messages published right after start() reached {on_channel} and {on_pattern} subscriptions, not 1 and 1: "
            "start() must return only once the server has confirmed every subscription — pub/sub keeps nothing "
            "for late subscribers"
        )
        assert inbox.wait_for(2), f"the handler got {inbox.calls}, not both messages"

    def test_three_servers_each_get_every_message_exactly_once(self, make_redis, ns, subscribers):
        inboxes = [Inbox() for _ in range(3)]
        for inbox in inboxes:  # three app servers, each with its own Redis client
            subscribers.start(make_redis(), inbox, channels=[f"{ns}:broadcast"])
        publisher = make_redis()
        counts = run_concurrently(
            lambda i: [pubsub.publish(publisher, f"{ns}:broadcast", {"from": i, "n": n}) for n in range(25)], 4
        )
        assert {c for batch in counts for c in batch} == {3}, "every publish should reach the three servers"
        for inbox in inboxes:
            assert inbox.wait_for(100), f"a server got {len(inbox.calls)} of 100 messages"
        subscribers.stop_all()
        expected = sorted((i, n) for i in range(4) for n in range(25))
        for number, inbox in enumerate(inboxes, 1):
            got = sorted((d["from"], d["n"]) for _, d in inbox.calls)
            assert got == expected, (
                f"server {number} got {len(got)} messages ({len(set(got))} distinct) instead of each of the 100 once"
            )

    def test_websocket_style_fan_out_reaches_every_local_listener(self, r, make_redis, ns, subscribers):
        # Two app servers hold WebSocket connections (here: queues). Each server subscribes
        # once and fans every message out to the local sockets of the user it is addressed to.
        server_a = WebSocketServer(subscribers, make_redis(), ns)
        server_b = WebSocketServer(subscribers, make_redis(), ns)
        ana_laptop, ana_phone = server_a.connect("ana"), server_a.connect("ana")
        ana_tablet, bo_phone = server_b.connect("ana"), server_b.connect("bo")
        for n in range(5):
            assert pubsub.publish(r, f"{ns}:user:ana", {"to": "ana", "n": n}) == 2, "both servers should subscribe"
        for n in range(3):
            pubsub.publish(r, f"{ns}:user:bo", {"to": "bo", "n": n})
        expected = {"ana": [{"to": "ana", "n": n} for n in range(5)], "bo": [{"to": "bo", "n": n} for n in range(3)]}
        for user, socket in [("ana", ana_laptop), ("ana", ana_phone), ("ana", ana_tablet), ("bo", bo_phone)]:
            got = drain(socket, len(expected[user]))
            assert sorted(got, key=lambda d: d["n"]) == expected[user], (
                f"one of {user}'s sockets got {got}: every local listener must get every message for its user"
            )
        subscribers.stop_all()
        assert all(s.empty() for s in (ana_laptop, ana_phone, ana_tablet, bo_phone)), "a socket got extra messages"

    def test_stop_returns_only_after_the_running_handler_finished(self, r, make_redis, ns, subscribers):
        entered, release, finished = threading.Event(), threading.Event(), threading.Event()

        def slow_handler(channel, data):
            entered.set()
            release.wait(5)
            finished.set()

        subscriber = subscribers.start(make_redis(), slow_handler, channels=[f"{ns}:jobs"])
        pubsub.publish(r, f"{ns}:jobs", {"n": 1})
        assert entered.wait(5), "the handler was never called"
        outcome = {}

        def stop_it():
            subscriber.stop()
            outcome["handler finished"] = finished.is_set()

        stopper = threading.Thread(target=stop_it, daemon=True)
        stopper.start()
        stopper.join(0.2)  # a stop() that does not wait for its thread returns right now
        release.set()
        stopper.join(5)
        assert not stopper.is_alive(), "stop() did not return within 5 s after the handler finished"
        assert outcome["handler finished"], (
            "stop() returned while the handler was still running: join the subscriber's thread before returning"
        )

    def test_no_handler_call_happens_after_stop_returns(self, r, make_redis, ns, subscribers):
        inbox = Inbox()
        subscriber = subscribers.start(make_redis(), inbox, channels=[f"{ns}:ticks"])
        publisher, stopped = make_redis(), threading.Event()
        after_stop = []

        def keep_publishing():  # messages are in flight while stop() runs, and after it returned
            n = 0
            while not stopped.is_set():
                pubsub.publish(publisher, f"{ns}:ticks", {"n": n})
                n += 1
            after_stop.extend(pubsub.publish(publisher, f"{ns}:ticks", {"late": i}) for i in range(50))

        t = threading.Thread(target=keep_publishing, daemon=True)
        t.start()
        try:
            assert inbox.wait_for(20), "messages published in a loop did not arrive"
            subscriber.stop()
            handled = len(inbox.calls)
            gone = soon(lambda: r.pubsub_numsub(f"{ns}:ticks") == [(f"{ns}:ticks", 0)])
        finally:
            stopped.set()
            t.join(5)
        assert len(inbox.calls) == handled, (
            f"{len(inbox.calls) - handled} messages were handled after stop() returned: stop() must end the thread"
        )
        assert gone and set(after_stop) == {0}, (
            "1 s after stop() returned the server still counted a receiver on the channel: unsubscribe, or close "
            "the connection"
        )


class WebSocketServer:
    """An app server: one Subscriber, fanning each message out to the local sockets of its user."""

    def __init__(self, subscribers: Subscribers, client, ns: str) -> None:
        self.sockets: dict[str, list[queue.Queue]] = defaultdict(list)
        self.lock = threading.Lock()
        subscribers.start(client, self.on_message, patterns=[f"{ns}:user:*"])

    def connect(self, user: str) -> queue.Queue:
        socket: queue.Queue = queue.Queue()
        with self.lock:
            self.sockets[user].append(socket)
        return socket

    def on_message(self, channel: str, data: dict) -> None:
        user = channel.rsplit(":", 1)[1]
        with self.lock:
            for socket in self.sockets.get(user, []):
                socket.put(data)


def drain(socket: queue.Queue, count: int, timeout_s: float = 5.0) -> list:
    got = []
    deadline = time.monotonic() + timeout_s
    while len(got) < count:
        try:
            got.append(socket.get(timeout=max(0.0, deadline - time.monotonic())))
        except queue.Empty:
            break
    return got


class Poller:
    """The naive baseline: a server that asks Redis for new messages every `interval_s` (LPOP)."""

    def __init__(self, client, key: str, interval_s: float = 0.1) -> None:
        self.client, self.key, self.interval_s = client, key, interval_s
        self.latencies: queue.Queue = queue.Queue()
        self.halt = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def send(self, client) -> None:
        client.rpush(self.key, json.dumps({"sent": time.perf_counter()}))

    def _run(self) -> None:
        while not self.halt.is_set():
            while (item := self.client.lpop(self.key)) is not None:
                self.latencies.put(time.perf_counter() - json.loads(item)["sent"])
            self.halt.wait(self.interval_s)

    def __enter__(self) -> Poller:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.halt.set()
        self.thread.join(5)


@level(4)
class TestEvidence:
    @pytest.mark.perf
    def test_pubsub_delivers_far_faster_than_a_polling_loop(self, r, make_redis, ns, subscribers, evidence):
        latencies: queue.Queue = queue.Queue()
        subscribers.start(
            make_redis(), lambda channel, data: latencies.put(time.perf_counter() - data["sent"]), [f"{ns}:alerts"]
        )
        publisher = make_redis()
        polled, pushed = [], []
        # Polling latency depends on when a message lands in the poller's 100 ms cycle. Each
        # message is sent at a different moment of the cycle (the previous pick-up marks where a
        # cycle starts), so polling is measured over its whole cycle, not by luck.
        moments = [i / 12 * 0.1 for i in range(12)]
        random.shuffle(moments)
        with Poller(make_redis(), f"{ns}:inbox", interval_s=0.1) as poller:
            poller.send(publisher)
            poller.latencies.get(timeout=2)  # a pick-up: a poll just happened
            for moment in moments:
                time.sleep(moment)
                poller.send(publisher)
                polled.append(poller.latencies.get(timeout=2))
                for _ in range(3):
                    pubsub.publish(publisher, f"{ns}:alerts", {"sent": time.perf_counter()})
                    pushed.append(latencies.get(timeout=2))
        poll_ms, push_ms = statistics.median(polled) * 1000, statistics.median(pushed) * 1000
        ratio = poll_ms / push_ms
        evidence.record(
            "pub/sub delivery vs polling every 100 ms",
            round(ratio, 1),
            "×",
            claim="20× faster than polling, sub-50 ms delivery",
            detail=f"median delivery {push_ms:.2f} ms by pub/sub, {poll_ms:.1f} ms by polling (medians of {len(pushed)} and {len(polled)} messages)",
        )
        evidence.record("pub/sub median delivery", round(push_ms, 2), " ms", claim="sub-50 ms delivery")
        assert push_ms < 50, f"pub/sub took {push_ms:.1f} ms (median) to deliver a message: it should take about 1 ms"
        assert ratio >= 10, (
            f"pub/sub delivered only {ratio:.1f}× faster than a 100 ms polling loop ({push_ms:.2f} ms vs {poll_ms:.1f} ms)"
        )

    def test_an_idle_subscriber_sends_no_commands_while_a_poller_keeps_asking(
        self, r, make_redis, ns, subscribers, evidence
    ):
        subscribers.start(make_redis(), Inbox(), channels=[f"{ns}:alerts"])
        polls = []
        poll_client = make_redis(on_reply=lambda command, args: polls.append(command))
        with Poller(poll_client, f"{ns}:inbox", interval_s=0.1):
            time.sleep(0.05)
            with count_commands(r) as counts:
                polled_before = len(polls)
                time.sleep(0.5)  # the measurement: half a second with nothing to deliver
                poller_cmds = len(polls) - polled_before
        # The server counts every command; the poller's own are known, the rest came from the subscriber.
        subscriber_cmds = max(0, counts.total - poller_cmds)
        evidence.record(
            "commands sent in 0.5 s with nothing to deliver",
            subscriber_cmds,
            "",
            detail=f"subscriber {subscriber_cmds}, a 100 ms poller {poller_cmds} (≈ {poller_cmds * 2 * 86_400:,} a day)",
        )
        assert poller_cmds >= 3, "harness check: the polling baseline should have polled a few times"
        assert subscriber_cmds <= 2, (
            f"an idle subscriber sent {subscriber_cmds} commands in 0.5 s: the server pushes messages, "
            "wait on the connection instead of asking"
        )
