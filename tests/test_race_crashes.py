"""The harness helpers for crashes between steps, late replies and check-then-act (dojo.race)."""

from __future__ import annotations

import threading
import time

import pytest

from dojo.measure.redis import keys_without_expiry
from dojo.race import AfterFirstUse, ClientCrashed, CrashAfterWrite, crash_points, is_write


def two_step_lock(r) -> None:
    """SET, then PEXPIRE: the classic two-step write."""
    r.set("lock", "me", nx=True)
    r.pexpire("lock", 10_000)


def test_writes_are_told_from_reads():
    assert is_write("SET") and is_write("xgroup create") and is_write("EVALSHA") and is_write("PFADD")
    assert not is_write("GET") and not is_write("WATCH") and not is_write("PFCOUNT") and not is_write("")


def test_crash_points_kill_the_client_after_each_write_in_turn(r, make_redis):
    seen = []

    def check(point):
        seen.append((point.k, point.command, keys_without_expiry(r)))

    points = crash_points(make_redis, two_step_lock, check, setup=r.flushdb)
    assert [(p.k, p.command) for p in points] == [(1, "SET"), (2, "PEXPIRE")]
    assert seen == [(1, "SET", ["lock"]), (2, "PEXPIRE", [])], "after the SET alone the lock has no expiry"
    assert str(points[0]) == "right after write #1 (SET)"


def test_a_crashed_client_sends_nothing_more_not_even_from_a_finally(r, make_redis):
    client = make_redis(on_reply=CrashAfterWrite(1))
    with pytest.raises(ClientCrashed):
        try:
            client.set("lock", "me")
        finally:
            client.delete("lock")  # a dead process runs no cleanup
    assert r.get("lock") == "me"
    with pytest.raises(ClientCrashed):
        client.get("lock")


def test_a_transaction_is_one_step_and_never_cut_in_half(r, make_redis):
    def atomic(client) -> None:
        with client.pipeline(transaction=True) as p:
            p.set("lock", "me", nx=True)
            p.pexpire("lock", 10_000)
            p.execute()

    def check(point):
        assert r.pttl("lock") > 0, f"a client that died {point} left the lock without its expiry"

    points = crash_points(make_redis, atomic, check, setup=r.flushdb)
    assert len(points) == 2, "each queued write is a crash point, all after the whole transaction"


def test_crash_points_run_until_the_code_finishes_before_the_crash(make_redis):
    assert crash_points(make_redis, lambda client: client.get("nothing"), lambda point: None) == []


def test_code_that_swallows_the_crash_is_still_checked(r, make_redis):
    def swallowing(client) -> None:
        try:
            two_step_lock(client)
        except BaseException:  # noqa: BLE001 - what the helper must see through
            pass

    checked = []
    crash_points(make_redis, swallowing, checked.append, setup=r.flushdb)
    assert len(checked) == 2


def test_a_late_command_reaches_the_server_late_while_the_caller_goes_on(r, make_redis):
    client = make_redis(late={"SUBSCRIBE": 0.3})
    listener = client.pubsub()
    began = time.monotonic()
    listener.subscribe("news")
    assert time.monotonic() - began < 0.2, "the caller must not be held up: only the command is"
    assert r.publish("news", "too early") == 0, "the server has not seen the SUBSCRIBE yet"
    confirmation = listener.get_message(timeout=5)
    assert confirmation is not None and confirmation["type"] == "subscribe"
    assert time.monotonic() - began >= 0.25, "the confirmation came after the held-back command"
    assert r.publish("news", "in time") == 1
    assert listener.get_message(timeout=5)["data"] == "in time"
    listener.close()


def test_commands_after_a_late_one_keep_their_order(r, make_redis):
    client = make_redis(late={"SUBSCRIBE": 0.2})
    listener = client.pubsub()
    listener.subscribe("a")
    listener.psubscribe("b*")  # sent behind the held-back SUBSCRIBE
    kinds = [listener.get_message(timeout=5)["type"] for _ in range(2)]
    assert kinds == ["subscribe", "psubscribe"]
    listener.close()


def test_after_first_use_acts_between_a_check_and_the_act(r, make_redis):
    r.set("lock", "mine")
    other = make_redis()
    hook = AfterFirstUse("lock", lambda: other.set("lock", "theirs"))
    client = make_redis(on_reply=hook, pipelines=True)
    if client.getex("lock") == "mine":  # the check, by a command the test did not foresee
        client.delete("lock")  # the act, on a lock that changed hands meanwhile
    assert hook.fired and hook.acted_after == 1
    assert r.get("lock") is None, "the naive release deleted the new owner's lock"


def test_after_first_use_sees_a_read_inside_a_pipeline(r, make_redis):
    r.set("lock", "mine")
    hook = AfterFirstUse("lock", lambda: "fired")
    client = make_redis(on_reply=hook, pipelines=True)
    with client.pipeline(transaction=False) as p:
        p.get("lock")
        p.pttl("lock")
        p.execute()
    assert hook.fired and hook.result == "fired"


def test_after_first_use_fires_after_a_script_that_was_also_the_last_command(r, make_redis):
    r.set("lock", "mine")
    hook = AfterFirstUse("lock", lambda: None)
    client = make_redis(on_reply=hook)
    client.eval("return redis.call('DEL', KEYS[1])", 1, "lock")
    assert hook.fired and hook.acted_after == 0, "an atomic script leaves nothing to act on afterwards"


def test_keys_without_expiry(r):
    r.set("forever", 1)
    r.set("mortal", 1, ex=60)
    r.sadd("forever-set", "x")
    assert keys_without_expiry(r) == ["forever", "forever-set"]
    assert keys_without_expiry(r, "forever-*") == ["forever-set"]


def test_late_delivery_threads_end_with_their_delivery(make_redis):
    client = make_redis(late={"PING": 0.05})
    before = {t for t in threading.enumerate() if t.name == "late-delivery"}
    connection = client.connection_pool.get_connection()
    connection.send_command("PING")
    assert connection.read_response() in ("PONG", b"PONG", True)
    client.connection_pool.release(connection)
    for t in threading.enumerate():
        if t.name == "late-delivery" and t not in before:
            t.join(1)
            assert not t.is_alive()
