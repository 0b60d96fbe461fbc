"""Kata 03 — distributed lock. Run: pytest katas/03_lock  (one level: --level 2)."""

from __future__ import annotations

import threading
import time

import lock
import pytest

from dojo.measure import count_commands
from dojo.measure.redis import keys_without_expiry
from dojo.race import AfterFirstUse, ReadBarrier, crash_points, pause_after, run_concurrently

level = pytest.mark.level


def wait_until_gone(r, key: str, timeout_s: float = 3.0) -> None:
    """Let a key expire for real (the server's clock, not a mocked one); fail at once if it cannot."""
    assert r.pttl(key) != -1, f"{key} was stored without a TTL: it would never expire (set it with SET NX PX)"
    deadline = time.monotonic() + timeout_s
    while r.exists(key):
        assert time.monotonic() < deadline, f"{key} had not expired {timeout_s:.0f} s after its TTL"
        time.sleep(0.01)


def taken_over_right_after_the_check(make_redis, ttl_ms: int) -> tuple[object, AfterFirstUse]:
    """A client after whose first command on lock:report the lock expires and another client takes it.

    Whatever the code reads first — GET, GETEX, WATCH, a read inside a pipeline, or a script that
    does it all — the take-over comes right after that reply: the gap between a check and the act.
    `hook.result` is the new owner's token; `hook.acted_after` counts what the code sent afterwards
    (0: its first command was also its last, an atomic script, so it finished before the take-over).
    """
    other = make_redis()

    def expire_and_take_over() -> str | None:
        other.delete("lock:report")
        return lock.acquire(other, "lock:report", ttl_ms)

    hook = AfterFirstUse("lock:report", expire_and_take_over)
    return make_redis(on_reply=hook, pipelines=True), hook


def holding(manager) -> None:
    """Enter and leave a context manager (a `with` block that does nothing)."""
    with manager:
        pass


def naive_buy(r, sku: str, quantity: int = 1) -> bool:
    """The baseline: read, check, write, without a lock."""
    stock = int(r.get(f"stock:{sku}") or 0)
    if stock < quantity:
        return False
    r.decrby(f"stock:{sku}", quantity)
    return True


@level(1)
class TestCore:
    def test_acquire_returns_a_token_stored_at_the_key(self, r):
        token = lock.acquire(r, "lock:report", 10_000)
        assert isinstance(token, str) and token, "acquire must return the token (a non-empty str) on success"
        assert r.get("lock:report") == token, "the lock's key must hold the owner's token, so release can check it"

    def test_a_second_client_cannot_take_a_held_lock(self, r, make_redis):
        first = lock.acquire(r, "lock:report", 10_000)
        second = lock.acquire(make_redis(), "lock:report", 10_000)
        assert second is None, "a held lock was taken a second time: acquire must fail while the key exists (SET NX)"
        assert r.get("lock:report") == first, "a failed acquire must not overwrite the holder's token"

    def test_release_frees_the_lock_for_the_next_client(self, r, make_redis):
        token = lock.acquire(r, "lock:report", 10_000)
        assert lock.release(r, "lock:report", token) is True, "release must return True when the owner frees the lock"
        assert lock.acquire(make_redis(), "lock:report", 10_000), "after a release the next client must get the lock"

    def test_release_with_a_wrong_token_changes_nothing(self, r):
        token = lock.acquire(r, "lock:report", 10_000)
        assert lock.release(r, "lock:report", "not-the-token") is False, (
            "release must refuse a token that does not own the lock"
        )
        assert r.get("lock:report") == token, "a refused release deleted the owner's lock"

    def test_tokens_are_fresh_and_unguessable(self, r):
        tokens = []
        for i in range(50):
            tokens.append(lock.acquire(r, f"lock:t{i}", 10_000))
        assert len(set(tokens)) == 50, (
            "every acquire needs a fresh token: a reused token lets one client release another's lock"
        )
        assert min(len(t) for t in tokens) >= 16, (
            "tokens must be long random strings (e.g. secrets.token_hex(16)), not counters"
        )
        differing = min(sum(a != b for a, b in zip(x, y)) for x, y in zip(tokens, tokens[1:]))
        assert differing >= 8, (
            "consecutive tokens look alike: use randomness (secrets, uuid4), not the time or a counter"
        )

    def test_locked_holds_the_lock_inside_the_block_and_frees_it_after(self, r):
        with lock.locked(r, "lock:report") as token:
            assert r.get("lock:report") == token, "inside `with locked(...)` the lock key must hold the yielded token"
        assert not r.exists("lock:report"), "the lock must be released when the block ends"

    def test_buy_sells_while_stock_lasts(self, r):
        r.set("stock:sku-1", 3)
        assert lock.buy(r, "sku-1", 2) is True, "with 3 in stock, buying 2 must succeed and return True"
        assert int(r.get("stock:sku-1")) == 1, "buy must decrement stock:{sku} by the quantity sold"
        assert lock.buy(r, "sku-1", 2) is False, "buy must refuse when fewer than `quantity` items are left"
        assert int(r.get("stock:sku-1")) == 1, "a refused buy must leave the stock unchanged"
        assert not r.exists("lock:sku-1"), "buy must release lock:{sku} when done"


@level(2)
class TestExpiryAndOwnership:
    def test_the_lock_expires_after_its_ttl(self, r):
        lock.acquire(r, "lock:report", 1_500)
        assert 0 < r.pttl("lock:report") <= 1_500, (
            "the lock key must expire after ttl_ms (set the expiry with the key: SET NX PX)"
        )

    def test_a_crashed_holders_lock_frees_itself(self, r, make_redis):
        assert lock.acquire(r, "lock:report", 100), "acquire failed on a free lock"
        # The holder "crashes": it never releases. The TTL must free the lock.
        wait_until_gone(r, "lock:report")
        assert lock.acquire(make_redis(), "lock:report", 10_000), (
            "once the crashed holder's TTL passed, the lock must be free"
        )

    def test_an_expired_holder_cannot_release_the_new_owners_lock(self, r, make_redis):
        old = lock.acquire(r, "lock:report", 100)
        wait_until_gone(r, "lock:report")
        new = lock.acquire(make_redis(), "lock:report", 10_000)
        assert lock.release(r, "lock:report", old) is False, "the old holder's release must fail: its lock expired"
        assert r.get("lock:report") == new, (
            "the old holder deleted the new owner's lock: compare the token before deleting"
        )

    def test_extend_pushes_the_expiry_for_the_owner(self, r):
        token = lock.acquire(r, "lock:report", 1_000)
        assert lock.extend(r, "lock:report", token, 60_000) is True, "extend must return True for the owner"
        assert r.pttl("lock:report") > 30_000, "extend must set the expiry to ttl_ms from now"

    def test_an_expired_holder_cannot_extend_the_new_owners_lock(self, r, make_redis):
        old = lock.acquire(r, "lock:report", 100)
        wait_until_gone(r, "lock:report")
        new = lock.acquire(make_redis(), "lock:report", 5_000)
        assert lock.extend(r, "lock:report", old, 600_000) is False, (
            "extend must fail for a token that no longer owns the lock"
        )
        assert r.get("lock:report") == new and r.pttl("lock:report") <= 5_000, (
            "a stale extend changed the new owner's lock"
        )

    def test_extend_does_not_recreate_an_expired_lock(self, r):
        token = lock.acquire(r, "lock:report", 100)
        wait_until_gone(r, "lock:report")
        assert lock.extend(r, "lock:report", token, 10_000) is False, "extending an expired lock must return False"
        assert not r.exists("lock:report"), (
            "extend recreated a lock that had expired: only an existing owner may extend"
        )

    def test_locked_gives_up_after_wait_s(self, r, make_redis):
        holder = lock.acquire(make_redis(), "lock:report", 10_000)
        started = time.monotonic()
        with pytest.raises(lock.LockNotAcquired):
            with lock.locked(r, "lock:report", wait_s=0.3):
                pytest.fail("locked() entered the block while another client held the lock")
        waited = time.monotonic() - started
        assert 0.25 <= waited < 3, f"locked() gave up after {waited:.2f} s: it must retry for about wait_s=0.3 s"
        assert r.get("lock:report") == holder, "giving up must leave the holder's lock alone"

    def test_locked_waits_for_the_holder_to_release(self, r, make_redis):
        other = make_redis()
        assert lock.acquire(other, "lock:report", 10_000), "acquire failed on a free lock"
        # The holder frees the lock 0.2 s from now, from its own thread (plain DEL: the test's
        # holder is correct even while your release() is not written yet).
        later = threading.Timer(0.2, other.delete, ("lock:report",))
        later.start()
        try:
            with lock.locked(r, "lock:report", wait_s=5) as mine:
                assert r.get("lock:report") == mine, "once the holder released, locked() must take the lock itself"
        finally:
            later.cancel()
            later.join()

    def test_locked_releases_the_lock_when_the_block_raises(self, r):
        with pytest.raises(ZeroDivisionError):
            with lock.locked(r, "lock:report"):
                raise ZeroDivisionError("the work failed")
        assert not r.exists("lock:report"), "an exception in the block left the lock held: release in a finally"

    def test_locked_does_not_free_a_lock_taken_over_after_expiry(self, r, make_redis):
        other = make_redis()
        with lock.locked(r, "lock:report", ttl_ms=10_000):
            other.delete("lock:report")  # as if our TTL ran out mid-work...
            theirs = lock.acquire(other, "lock:report", 10_000)  # ...and someone else took it
        assert other.get("lock:report") == theirs, "leaving the block deleted someone else's lock: release by token"


@level(3)
class TestConcurrency:
    def test_only_one_of_20_concurrent_clients_gets_the_lock(self, make_redis):
        # Every existence check is held until all 20 clients have checked: a check-then-set
        # lets them all through. A single SET NX has no gap to exploit.
        client = make_redis(on_reply=ReadBarrier(20, commands=("GET", "EXISTS")))
        tokens = run_concurrently(lambda i: lock.acquire(client, "lock:report", 10_000), 20)
        winners = [t for t in tokens if t]
        assert len(winners) == 1, (
            f"{len(winners)} clients held the lock at once: acquiring must be a single atomic command"
        )

    def test_release_checks_and_deletes_in_one_atomic_step(self, r, make_redis):
        slow, takeover = taken_over_right_after_the_check(make_redis, ttl_ms=10_000)
        token = lock.acquire(r, "lock:report", 10_000)
        released = lock.release(slow, "lock:report", token)
        assert takeover.fired, "release never touched lock:report"
        assert r.get("lock:report") == takeover.result, (
            "release deleted a lock another client took right after its check: compare-and-delete must be one "
            "atomic step (a Lua script, or WATCH/MULTI), whatever command does the check"
        )
        if takeover.acted_after:
            assert released is False, "release must report False when the lock was no longer ours by the time it acted"
        else:
            assert released is True, "release freed our lock in one atomic step before the take-over: it must say True"

    def test_extend_checks_and_expires_in_one_atomic_step(self, r, make_redis):
        slow, takeover = taken_over_right_after_the_check(make_redis, ttl_ms=600_000)
        token = lock.acquire(r, "lock:report", 10_000)
        extended = lock.extend(slow, "lock:report", token, 1_000)
        assert takeover.fired, "extend never touched lock:report"
        assert r.get("lock:report") == takeover.result and r.pttl("lock:report") > 300_000, (
            "extend changed the TTL of a lock another client took right after its check: compare-and-expire must "
            "be one atomic step (a Lua script, or WATCH/MULTI), whatever command does the check"
        )
        if takeover.acted_after:
            assert extended is False, "extend must report False when the lock was no longer ours by the time it acted"
        else:
            assert extended is True, (
                "extend pushed our expiry in one atomic step before the take-over: it must say True"
            )

    def test_a_client_that_dies_between_any_two_steps_leaves_no_lock_without_expiry(self, r, make_redis):
        # The client is killed right after its 1st write, then (a fresh run) after its 2nd, ...: a
        # lock taken with one command and given its TTL with another never expires if the holder
        # dies in between — the very crash the TTL is there for.
        held: dict[str, str | None] = {}

        def setup() -> None:
            r.flushdb()
            r.set("stock:sku-1", 5)
            held["token"] = lock.acquire(make_redis(), "lock:held", 10_000)

        operations = {
            "acquire": lambda c: lock.acquire(c, "lock:report", 10_000),
            "locked": lambda c: holding(lock.locked(c, "lock:report", wait_s=1)),
            "extend": lambda c: lock.extend(c, "lock:held", held["token"], 20_000),
            "buy": lambda c: lock.buy(c, "sku-1", 2),
        }
        for name, operation in operations.items():

            def check(point, name=name) -> None:
                immortal = keys_without_expiry(r, "lock:*")
                assert not immortal, (
                    f"{name}: the client died {point} and left {immortal} without an expiry, a lock no one can "
                    "ever take again. Take the lock and set its TTL in one command (SET NX PX)"
                )
                assert int(r.get("stock:sku-1")) >= 3, f"{name}: a crashed buyer sold more than it asked for"

            points = crash_points(make_redis, operation, check, setup=setup)
            if name == "acquire":
                assert points, "acquire wrote nothing: it must take the lock with a write (SET NX PX)"

    def test_20_concurrent_buyers_of_5_items_sell_exactly_5(self, r, make_redis):
        r.set("stock:sku-1", 5)
        # All reads of the stock are held until all 20 buyers have read: without the lock,
        # everyone sees 5 left and everyone buys.
        client = make_redis(on_reply=ReadBarrier(20, commands=("GET", "MGET", "GETEX")))
        sold = run_concurrently(lambda i: lock.buy(client, "sku-1"), 20)
        assert sum(sold) == 5, (
            f"{sum(sold)} of 5 items were sold: the read and the decrement must happen under lock:{{sku}}"
        )
        assert int(r.get("stock:sku-1")) == 0, "5 items sold must leave stock:sku-1 at 0, never below"

    def test_locked_serialises_a_read_modify_write(self, r, make_redis):
        r.set("counter", 0)
        client = make_redis(on_reply=pause_after(["GET"], 0.002))

        def add_ten(i: int) -> None:
            for _ in range(10):
                with lock.locked(client, "lock:counter", wait_s=20):
                    client.set("counter", int(client.get("counter")) + 1)

        run_concurrently(add_ten, 8, timeout_s=40)
        assert int(r.get("counter")) == 80, "updates were lost: two clients were inside `locked` at the same time"


@level(4)
class TestEvidence:
    def test_a_waiting_client_backs_off_instead_of_spinning(self, r, make_redis, evidence):
        lock.acquire(make_redis(), "lock:report", 10_000)
        wait_s = 0.3
        with count_commands(r) as spinning:  # the baseline: retry at once, as fast as Redis answers
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline:
                r.set("lock:report", "x", nx=True, px=10_000)
        with count_commands(r) as counts:
            with pytest.raises(lock.LockNotAcquired):
                with lock.locked(r, "lock:report", wait_s=wait_s):
                    pass
        evidence.record(
            f"commands sent while waiting {wait_s} s for a held lock",
            counts.total,
            "",
            detail=f"locked() sent {counts.total}; a client retrying at once, without pausing, sent {spinning.total}",
        )
        # A spinner sends as many commands as the machine allows; at most a third of that, or
        # 20 (one attempt per 25 ms), is a client that pauses — whatever the machine's speed.
        allowed = max(spinning.total / 3, 20)
        assert counts.total <= allowed, (
            f"waiting {wait_s} s sent {counts.total} commands, like a tight loop ({spinning.total}): "
            "pause between attempts (growing backoff), don't spin"
        )

    def test_the_lock_keeps_inventory_exact_where_no_lock_oversells(self, r, make_redis, evidence):
        def sell(buy, sku: str) -> int:
            r.set(f"stock:{sku}", 5)
            client = make_redis(on_reply=ReadBarrier(20, commands=("GET", "MGET", "GETEX")))
            return sum(run_concurrently(lambda i: buy(client, sku), 20))

        naive, locked = sell(naive_buy, "naive"), sell(lock.buy, "locked")
        evidence.record(
            "accuracy of 20 buyers for 5 items",
            100 * 5 / max(locked, 1),
            "%",
            claim="100% vs 87% without a proper lock",
            detail=f"with the lock {locked} sold; without it {naive} sold ({100 * 5 / naive:.0f}% accurate)",
        )
        assert naive > 5, "harness check: the unlocked baseline should oversell under this interleaving"
        assert locked == 5, f"with the lock, {locked} of 5 items were sold"
