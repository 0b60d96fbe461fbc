"""Kata 07 — sliding-window rate limiter. Run: pytest katas/07_rate_limiter  (one level: --level 2)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid

import pytest
import rate_limiter

from dojo.measure import memory_usage
from dojo.race import ReadBarrier, crash_points, pythonpath_for, run_concurrently

level = pytest.mark.level

# A realistic clock, aligned on a minute so that fixed 60 s windows start at at(0), at(60_000), ...
EPOCH = 1_700_000_040_000
MINUTE = 60_000


def at(ms: int) -> int:
    """The injected clock: `ms` milliseconds after EPOCH."""
    return EPOCH + ms


def log_key(key: str) -> str:
    return f"ratelimit:{key}"


def allowed_flags(decisions) -> list[bool]:
    return [d.allowed for d in decisions]


def fixed_window_allow(r, client_id: str, limit: int, window_s: float, now: float) -> bool:
    """The naive baseline (kata 02's fixed-window counter): one INCR per window of wall-clock time."""
    key = f"rate:{client_id}:{int(now // window_s)}"
    with r.pipeline() as pipe:
        pipe.incr(key)
        pipe.expire(key, int(window_s))
        count, _ = pipe.execute()
    return count <= limit


def peak_in_any_window(times: list[int], window_ms: int) -> int:
    """The most timestamps that fall in any window (t - window_ms, t]."""
    times = sorted(times)
    peak, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window_ms:
            start += 1
        peak = max(peak, end - start + 1)
    return peak


# Read commands a check-then-add might use to count the window.
WINDOW_READS = (
    "ZCARD",
    "ZCOUNT",
    "ZRANGE",
    "ZRANGEBYSCORE",
    "ZREVRANGE",
    "ZREVRANGEBYSCORE",
    "ZSCORE",
    "ZLEXCOUNT",
    "ZSCAN",
    "EXISTS",
)


@level(1)
class TestCore:
    def test_allows_up_to_the_limit_then_refuses(self, r):
        decisions = [rate_limiter.check(r, "api:alice", 3, 1_000, at(i)) for i in range(5)]
        assert allowed_flags(decisions) == [True, True, True, False, False], (
            "with limit 3 per second, the first 3 requests must be allowed and the next ones refused"
        )
        assert all(isinstance(d.allowed, bool) for d in decisions), "Decision.allowed must be a bool"

    def test_remaining_counts_down_to_zero(self, r):
        decisions = [rate_limiter.check(r, "api:alice", 5, 1_000, at(i)) for i in range(6)]
        assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0, 0], (
            "remaining is the number of requests still allowed in the window AFTER this one: "
            "limit 5 gives 4, 3, 2, 1, 0, and 0 once refused"
        )
        assert [d.retry_after_ms for d in decisions[:5]] == [0] * 5, "an allowed request has retry_after_ms == 0"
        assert decisions[5].retry_after_ms > 0, "a refused request must say how long to wait (retry_after_ms > 0)"

    def test_the_log_is_a_sorted_set_of_the_allowed_requests(self, r):
        for i in range(4):
            rate_limiter.check(r, "api:alice", 3, 1_000, at(i * 10))
        assert r.type(log_key("api:alice")) == "zset", (
            "the log of client `key` must be the sorted set ratelimit:{key} (timestamps as scores)"
        )
        assert r.zcard(log_key("api:alice")) == 3, (
            f"the log holds {r.zcard(log_key('api:alice'))} entries after 3 allowed and 1 refused request: "
            "record each allowed request once, and never a refused one"
        )

    def test_a_client_recovers_after_the_window(self, r):
        for _ in range(10):
            assert rate_limiter.check(r, "api:alice", 10, MINUTE, at(0)).allowed, "the first 10 requests fit the limit"
        late = rate_limiter.check(r, "api:alice", 10, MINUTE, at(59_999))
        assert not late.allowed, "1 ms before the window ends the 10 requests still count"
        back = rate_limiter.check(r, "api:alice", 10, MINUTE, at(60_000))
        assert back.allowed, "a full window after the burst the client must be allowed again"
        assert back.remaining == 9, (
            f"after the window all 10 old requests have left; remaining must be 9, got {back.remaining}"
        )

    def test_free_and_premium_tiers_have_their_own_limits(self, r):
        free = [rate_limiter.check_user(r, "alice", "free", at(i)) for i in range(11)]
        premium = [rate_limiter.check_user(r, "bob", "premium", at(i)) for i in range(101)]
        assert sum(allowed_flags(free)) == 10, (
            f"a free user gets 10 requests per minute, got {sum(allowed_flags(free))}"
        )
        assert sum(allowed_flags(premium)) == 100, (
            f"a premium user gets 100 requests per minute, got {sum(allowed_flags(premium))}"
        )
        assert not premium[-1].allowed and premium[-1].retry_after_ms == 59_900, (
            "the 101st premium request (at 100 ms) must be refused until the first one (at 0 ms) leaves the "
            "60 s window, 59,900 ms later"
        )
        assert r.exists(log_key("user:alice")) and r.exists(log_key("user:bob")), (
            "check_user must use the key user:{user_id}, i.e. the log ratelimit:user:{user_id}"
        )
        assert rate_limiter.TIERS == {"free": (10, 60_000), "premium": (100, 60_000)}, (
            "TIERS must map tier -> (limit, window_ms) exactly as in the contract"
        )

    def test_users_and_ips_are_limited_independently(self, r):
        # A login endpoint limits each user by tier and each IP address to 3 attempts a minute.
        alice = [rate_limiter.check_user(r, "alice", "free", at(i)) for i in range(11)]
        assert not alice[-1].allowed, "alice used her 10 free requests; the 11th must be refused"
        bob = rate_limiter.check_user(r, "bob", "free", at(20))
        assert bob.allowed and bob.remaining == 9, "alice's requests must not count against bob: one log per user"

        ip = [rate_limiter.check(r, "ip:203.0.113.7", 3, MINUTE, at(30 + i)) for i in range(4)]
        assert allowed_flags(ip) == [True, True, True, False], "the IP limit (3 a minute) must apply on its own key"
        other_ip = rate_limiter.check(r, "ip:198.51.100.2", 3, MINUTE, at(40))
        assert other_ip.allowed and other_ip.remaining == 2, "another IP address has its own, untouched limit"
        assert r.zcard(log_key("user:alice")) == 10 and r.zcard(log_key("ip:203.0.113.7")) == 3, (
            "user and IP logs must be separate keys: ratelimit:user:{id} and ratelimit:ip:{ip}"
        )


@level(2)
class TestWindowEdges:
    def test_requests_in_the_same_millisecond_all_count(self, r):
        decisions = [rate_limiter.check(r, "api:alice", 5, 1_000, at(0)) for _ in range(8)]
        assert allowed_flags(decisions) == [True] * 5 + [False] * 3, (
            f"{sum(allowed_flags(decisions))} of 8 requests in the same millisecond were allowed with limit 5: "
            "give each request its own member (not the timestamp alone, or they overwrite each other)"
        )
        assert r.zcard(log_key("api:alice")) == 5, "5 allowed requests in the same millisecond are 5 entries in the log"

    def test_rejected_requests_are_not_recorded(self, r):
        for _ in range(3):
            assert rate_limiter.check(r, "api:alice", 3, 1_000, at(0)).allowed, "the first 3 requests fit the limit"
        for attempt in range(20):  # a client hammering while blocked
            assert not rate_limiter.check(r, "api:alice", 3, 1_000, at(500)).allowed, (
                f"attempt {attempt + 1} at 500 ms was allowed although 3 requests of the last 1,000 ms already "
                "count: a refused request must not free a slot, and must not be recorded either"
            )
        assert r.zcard(log_key("api:alice")) == 3, (
            f"the log holds {r.zcard(log_key('api:alice'))} entries: refused requests must not be recorded"
        )
        after = rate_limiter.check(r, "api:alice", 3, 1_000, at(1_000))
        assert after.allowed and after.remaining == 2, (
            "once the 3 allowed requests left the window the client must get in with 2 to spare; "
            "refused attempts must not keep it locked out"
        )

    def test_a_request_leaves_the_window_exactly_window_ms_later(self, r):
        assert rate_limiter.check(r, "api:alice", 1, 1_000, at(0)).allowed, "the first request fits a limit of 1"
        before = rate_limiter.check(r, "api:alice", 1, 1_000, at(999))
        assert not before.allowed, "999 ms later the request at 0 is still in the 1,000 ms window (now-window, now]"
        assert before.retry_after_ms == 1, f"it leaves in 1 ms, but retry_after_ms was {before.retry_after_ms}"
        assert rate_limiter.check(r, "api:alice", 1, 1_000, at(1_000)).allowed, (
            "exactly window_ms later the old request is out: the window (now-window, now] excludes its start"
        )

    def test_no_double_burst_across_a_fixed_window_boundary(self, r):
        # 10 requests at 59.9 s and 10 more at 60.1 s, limit 10 per 60 s.
        baseline = [fixed_window_allow(r, "alice", 10, 60, at(t) / 1000) for t in [59_900] * 10 + [60_100] * 10]
        assert sum(baseline) == 20, "harness check: the fixed-window baseline should let both batches through"

        first = [rate_limiter.check(r, "api:alice", 10, MINUTE, at(59_900)) for _ in range(10)]
        second = [rate_limiter.check(r, "api:alice", 10, MINUTE, at(60_100)) for _ in range(10)]
        assert all(allowed_flags(first)), "the first batch of 10 fits the limit"
        assert not any(allowed_flags(second)), (
            f"{sum(allowed_flags(second))} of the second batch got in 200 ms after the first: a sliding window "
            "counts the last 60 s, whatever the clock says about minutes"
        )
        assert {d.retry_after_ms for d in second} == {59_800}, (
            "at 60.1 s the oldest counted request (59.9 s) leaves the window at 119.9 s: retry_after_ms = 59,800"
        )

    def test_retry_after_is_the_time_until_the_oldest_request_leaves(self, r):
        for t in (0, 200, 400):
            assert rate_limiter.check(r, "api:alice", 3, 1_000, at(t)).allowed, f"request {t} ms fits the limit of 3"
        refused = rate_limiter.check(r, "api:alice", 3, 1_000, at(500))
        assert refused.retry_after_ms == 500, (
            f"retry_after_ms was {refused.retry_after_ms}: the oldest request (at 0) leaves the 1,000 ms window "
            "at 1,000, so 500 ms after 500 (compute it from the oldest entry, not from now or the newest)"
        )
        again = rate_limiter.check(r, "api:alice", 3, 1_000, at(1_000))
        assert again.allowed and again.remaining == 0, "at 1,000 the request at 0 has left: one slot, the last one"
        later = rate_limiter.check(r, "api:alice", 3, 1_000, at(1_100))
        assert not later.allowed and later.retry_after_ms == 100, (
            f"at 1,100 the oldest counted request is the one at 200, leaving at 1,200: retry_after_ms must be 100, "
            f"got {later.retry_after_ms}"
        )

    def test_the_key_expires_at_most_window_ms_after_the_last_allowed_request(self, r):
        for i in range(3):
            rate_limiter.check(r, "api:alice", 5, 30_000, at(i))
        ttl = r.pttl(log_key("api:alice"))
        assert 0 < ttl <= 30_000, (
            f"PTTL of the log is {ttl}: every log must expire, at most window_ms after the last allowed request "
            "(-1 means no expiry: idle clients' logs would stay in memory forever)"
        )

    def test_every_allowed_request_pushes_the_expiry_back(self, r):
        rate_limiter.check(r, "api:alice", 5, MINUTE, at(0))
        time.sleep(0.2)
        started = time.monotonic()
        rate_limiter.check(r, "api:alice", 5, MINUTE, at(1))
        ttl = r.pttl(log_key("api:alice"))
        elapsed_ms = (time.monotonic() - started) * 1000
        assert ttl >= MINUTE - elapsed_ms - 5, (
            f"PTTL was {ttl} right after an allowed request with a {MINUTE} ms window: the expiry must be renewed "
            "on every allowed request, not only when the key is new, or the log vanishes while its newest "
            "entries still count"
        )

    def test_a_client_that_dies_between_any_two_steps_leaves_a_log_that_expires(self, r, make_redis):
        # The client is killed right after its 1st write, then (a fresh run) after its 2nd, ...: a
        # new client's request recorded in one command and given its expiry in the next leaves, if
        # the client dies in between, a log that never expires.
        for earlier in (0, 2):  # a new client's first request, and a later one

            def setup(earlier=earlier) -> None:
                r.flushdb()
                for i in range(earlier):
                    rate_limiter.check(r, "api:alice", 5, 30_000, at(i))

            def check(point) -> None:
                ttl = r.pttl(log_key("api:alice"))
                assert ttl != -1, (
                    f"the client died {point} and left the log without an expiry: record the request and push the "
                    "expiry in one atomic step (a Lua script, or MULTI/EXEC)"
                )

            points = crash_points(
                make_redis, lambda c: rate_limiter.check(c, "api:alice", 5, 30_000, at(10)), check, setup=setup
            )
            assert points, "an allowed request must be recorded in Redis"

    def test_an_idle_clients_log_disappears_by_itself(self, r):
        rate_limiter.check(r, "api:alice", 5, 100, at(0))
        assert r.pttl(log_key("api:alice")) != -1, (
            "the log of a client has no expiry: it would stay in memory for ever once the client goes idle"
        )
        deadline = time.monotonic() + 3
        while r.exists(log_key("api:alice")):
            assert time.monotonic() < deadline, (
                "the log of an idle client was still there 3 s after its 100 ms window: give the key an expiry"
            )
            time.sleep(0.01)


@level(3)
class TestConcurrency:
    def test_exactly_limit_of_20_concurrent_callers_are_allowed(self, make_redis, r):
        # Every read of the window is held until all 20 callers have read it: a count followed
        # by a separate ZADD lets all of them in. One atomic step (Lua, MULTI) has no gap.
        client = make_redis(on_reply=ReadBarrier(20, commands=WINDOW_READS), pipelines=True)
        decisions = run_concurrently(lambda i: rate_limiter.check(client, "api:alice", 10, MINUTE, at(0)), 20)
        allowed = [d for d in decisions if d.allowed]
        assert len(allowed) == 10, (
            f"{len(allowed)} of 20 concurrent callers were allowed with limit 10: counting the window and "
            "recording the request must be one atomic step (a Lua script, or MULTI/EXEC)"
        )
        assert sorted(d.remaining for d in allowed) == list(range(10)), (
            "each allowed caller must see its own count: remaining 9, 8, ..., 0 once each"
        )
        refused = [d for d in decisions if not d.allowed]
        assert all(d.remaining == 0 and d.retry_after_ms == MINUTE for d in refused), (
            "all 20 came at the same instant: the refused ones must wait the whole window"
        )
        assert r.zcard(log_key("api:alice")) == 10, "the log must hold the 10 allowed requests and no refused one"

    def test_several_processes_share_one_limit(self, r, redis_url):
        # Three "API servers", each a process with its own connection, each sending 7 requests
        # at the same instant, released together once all three are up.
        key = f"api:shared:{uuid.uuid4().hex[:8]}"
        rate_limiter.check(r, f"{key}:warm-up", 10, MINUTE, at(0))  # fails here, readably, if check() is missing
        child = (
            "import json, sys, redis, rate_limiter\n"
            "r = redis.Redis.from_url(sys.argv[1], decode_responses=True)\n"
            "r.rpush('ready', 1)\n"
            "while not r.blpop('go', timeout=1):\n"
            "    pass\n"
            "print(json.dumps([rate_limiter.check(r, sys.argv[2], 10, 60000, int(sys.argv[3])).allowed"
            " for _ in range(7)]))\n"
        )
        env = pythonpath_for(rate_limiter)
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", child, redis_url, key, str(at(0))],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        try:
            deadline = time.monotonic() + 45
            ready = 0
            while ready < len(procs):  # short blocking reads: the client's socket timeout is 5 s
                if r.blpop("ready", timeout=1):
                    ready += 1
                    continue
                failed = next((p for p in procs if p.poll() is not None), None)
                assert failed is None, f"a server process failed to start:\n{failed.communicate()[1][-1500:]}"
                assert time.monotonic() < deadline, "the server processes did not start within 45 s"
            r.rpush("go", *["go"] * len(procs))  # release all three at once
            outputs = [p.communicate(timeout=max(1.0, deadline - time.monotonic())) for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        for p, (_, err) in zip(procs, outputs):
            assert p.returncode == 0, f"a server process failed:\n{err[-1500:]}"
        per_process = [sum(json.loads(out)) for out, _ in outputs]
        assert sum(per_process) == 10, (
            f"3 processes got {per_process} requests allowed ({sum(per_process)} in all) with one shared limit "
            "of 10: the limit must live in Redis, decided atomically there"
        )
        assert r.zcard(log_key(key)) == 10, "the shared log must hold exactly the 10 allowed requests"


@level(4)
class TestEvidence:
    def test_sliding_window_never_lets_more_than_the_limit_through_in_any_window(self, r, evidence):
        # An attacker who knows where fixed windows start: a burst of 10 just before every
        # minute boundary and 10 just after, for five minutes. Limit: 10 per 60 s.
        limit = 10
        times = sorted(t for m in range(1, 6) for t in [m * MINUTE - 100] * limit + [m * MINUTE + 100] * limit)
        fixed = [t for t in times if fixed_window_allow(r, "attacker", limit, 60, at(t) / 1000)]
        sliding = [t for t in times if rate_limiter.check(r, "api:attacker", limit, MINUTE, at(t)).allowed]
        fixed_peak, sliding_peak = peak_in_any_window(fixed, MINUTE), peak_in_any_window(sliding, MINUTE)
        evidence.record(
            "most requests let through in any 60 s window (limit 10), fixed vs sliding window",
            fixed_peak / sliding_peak,
            "×",
            claim="100× more accurate than fixed window",
            detail=(
                f"fixed window {fixed_peak} (+{100 * (fixed_peak - limit) // limit}% over the limit), "
                f"sliding window {sliding_peak} (+{100 * (sliding_peak - limit) // limit}%) "
                f"over {len(times)} boundary-burst requests"
            ),
        )
        assert fixed_peak == 2 * limit, "harness check: the fixed window should let 2× the limit through"
        assert sliding_peak == limit, (
            f"{sliding_peak} requests got through within one 60 s window with limit {limit}: the window must "
            "slide with every request"
        )

    def test_the_log_stays_bounded_by_the_limit(self, r, evidence):
        # A free client (10 a minute) sending a request every 5 s for ten minutes: 10 windows of traffic.
        limit = 10
        allowed = sum(rate_limiter.check(r, "api:steady", limit, MINUTE, at(i * 5_000)).allowed for i in range(120))
        entries = r.zcard(log_key("api:steady"))
        # What exactness costs: a premium client's full window, against one fixed-window counter.
        for _ in range(100):
            rate_limiter.check(r, "api:premium", 100, MINUTE, at(0))
        fixed_window_allow(r, "premium", 100, 60, at(0) / 1000)
        log_bytes = memory_usage(r, log_key("api:premium"))
        counter_bytes = memory_usage(r, f"rate:premium:{at(0) // MINUTE}")
        evidence.record(
            "memory of a full sliding-window log (100 requests) vs a fixed-window counter",
            round(log_bytes / counter_bytes, 1),
            "×",
            detail=(
                f"{log_bytes} B vs {counter_bytes} B: exactness is paid in memory per allowed request; "
                f"a steady client's log held {entries} entries after {allowed} allowed requests over 10 minutes"
            ),
        )
        assert entries <= 2 * limit, (
            f"the log holds {entries} entries after 10 windows of traffic (limit {limit}): forget requests that "
            "have left the window (ZREMRANGEBYSCORE), or memory grows with traffic instead of with the limit"
        )
