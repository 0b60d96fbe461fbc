"""Kata 10 — unique counting with HyperLogLog. Run: pytest katas/10_hyperloglog  (one level: --level 2)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import hyperloglog
import pytest

from dojo.measure import memory_usage
from dojo.race import ReadBarrier, chain, pause_after, run_concurrently

level = pytest.mark.level

MONDAY = date(2024, 3, 4)


def day(n: int) -> date:
    """The n-th day after MONDAY (negative: before)."""
    return MONDAY + timedelta(days=n)


def about(estimate: int, truth: int, tolerance: float = 0.02) -> bool:
    """A HyperLogLog estimate within `tolerance` of the truth (small counts: within 1)."""
    return abs(estimate - truth) <= max(1.0, tolerance * truth)


def track_all(r, page: str, visitors, on: date) -> None:
    """track_visit for each visitor, with the real client the contract promises (never a pipeline:
    it answers every command with itself, so code relying on PFADD's reply would go unseen)."""
    for visitor in visitors:
        hyperloglog.track_visit(r, page, visitor, on)


def seed_visitors(r, key: str, visitors: list[str], batch: int = 10_000) -> None:
    """The harness's own bulk load: PFADD straight into `key`, many ids per command (fast, unchecked)."""
    kind = r.type(key)
    assert kind in ("string", "none"), f"{key} is a Redis {kind}: visits belong in a HyperLogLog (PFADD)"
    try:
        for k in range(0, len(visitors), batch):
            r.pfadd(key, *visitors[k : k + batch])
    except Exception as exc:  # noqa: BLE001 - said in one sentence
        pytest.fail(f"{key} is not a HyperLogLog the harness can add visitors to ({exc}): store visits with PFADD")


def daily_counts(page: str, r, first: int, last: int) -> list[int]:
    return [hyperloglog.unique_visitors(r, page, day(i)) for i in range(first, last + 1)]


def keys_memory(r) -> int:
    """Bytes the server attributes to every key in the test's database."""
    return sum(memory_usage(r, key) for key in r.scan_iter("*"))


@level(1)
class TestCore:
    def test_a_visitor_counts_once_a_day(self, r):
        for visitor in ["ann", "bob", "ann", "ann"]:
            hyperloglog.track_visit(r, "home", visitor, MONDAY)
        assert hyperloglog.unique_visitors(r, "home", MONDAY) == 2, (
            "ann visited three times and bob once: unique_visitors must count distinct visitors (2)"
        )

    def test_unique_visitors_counts_hundreds_of_distinct_visitors(self, r):
        for i in range(400):
            hyperloglog.track_visit(r, "home", f"visitor-{i % 200}", MONDAY)
        count = hyperloglog.unique_visitors(r, "home", MONDAY)
        assert about(count, 200), f"200 visitors came twice each; unique_visitors said {count}"

    def test_a_day_without_visits_has_zero_visitors(self, r):
        hyperloglog.track_visit(r, "home", "ann", MONDAY)
        assert hyperloglog.unique_visitors(r, "home", day(1)) == 0, "a day nobody visited must count 0"
        assert hyperloglog.unique_visitors(r, "pricing", MONDAY) == 0, "a page nobody visited must count 0"

    def test_visits_are_stored_in_a_hyperloglog_at_hll_page_day(self, r):
        hyperloglog.track_visit(r, "home", "ann", MONDAY)
        hyperloglog.track_visit(r, "home", "bob", MONDAY)
        key = "hll:home:2024-03-04"
        assert r.exists(key), f"visits of page home on 2024-03-04 belong at {key}; the server holds {sorted(r.keys())}"
        assert r.type(key) == "string", (
            f"{key} is a {r.type(key)}: store visitors in a HyperLogLog (PFADD), whose size does not grow with them"
        )
        assert r.pfcount(key) == 2, f"{key} must be a HyperLogLog holding the day's two visitors"

    def test_days_and_pages_are_counted_separately(self, r):
        hyperloglog.track_visit(r, "home", "ann", MONDAY)
        hyperloglog.track_visit(r, "home", "bob", day(1))
        hyperloglog.track_visit(r, "pricing", "cy", MONDAY)
        assert (
            hyperloglog.unique_visitors(r, "home", MONDAY),
            hyperloglog.unique_visitors(r, "home", day(1)),
            hyperloglog.unique_visitors(r, "pricing", MONDAY),
        ) == (1, 1, 1), "each page and each day has its own count"

    def test_a_visitor_on_several_days_counts_once_in_a_range(self, r):
        for i in range(3):
            hyperloglog.track_visit(r, "home", "ann", day(i))
        hyperloglog.track_visit(r, "home", "bob", day(0))
        hyperloglog.track_visit(r, "home", "cy", day(2))
        count = hyperloglog.unique_visitors_between(r, "home", day(0), day(2))
        assert count == 3, (
            f"ann came on 3 days, bob and cy on one each: 3 distinct visitors, got {count}. "
            "A range count is the union of the days (PFCOUNT of several keys), not the sum of daily counts (5)"
        )

    def test_merge_week_stores_the_weeks_union_and_returns_its_key(self, r):
        for i in range(7):
            hyperloglog.track_visit(r, "home", "regular", day(i))
            hyperloglog.track_visit(r, "home", f"once-{i}", day(i))
        key = hyperloglog.merge_week(r, "home", MONDAY)
        assert key == "hll:home:week:2024-03-04", (
            f"merge_week must return hll:{{page}}:week:{{YYYY-MM-DD}}, got {key!r}"
        )
        assert r.pfcount(key) == 8, (
            f"the week had 8 distinct visitors (one regular, seven one-timers); {key} holds {r.pfcount(key)}"
        )

    def test_track_event_counts_a_visitor_under_each_dimension(self, r):
        hyperloglog.track_event(r, "ann", MONDAY, country="NL", device="mobile")
        hyperloglog.track_event(r, "bob", MONDAY, country="NL", device="desktop")
        assert hyperloglog.unique_by(r, MONDAY, "country", "NL") == 2, "ann and bob were both recorded with country=NL"
        assert hyperloglog.unique_by(r, MONDAY, "device", "mobile") == 1, (
            "track_event must count the visitor under every dimension it is given"
        )
        assert hyperloglog.unique_by(r, MONDAY, "country", "DE") == 0, "a value nobody had must count 0"


@level(2)
class TestRangesWeeksAndDimensions:
    def test_a_range_includes_both_end_days(self, r):
        for n, visitor in [(-1, "before"), (0, "first-day"), (3, "last-day"), (4, "after")]:
            hyperloglog.track_visit(r, "home", visitor, day(n))
        count = hyperloglog.unique_visitors_between(r, "home", day(0), day(3))
        assert count == 2, (
            f"start..end includes both ends: the visitors of day 0 and day 3 count, those of day -1 and 4 do not; got {count}"
        )

    def test_a_one_day_range_is_that_days_count(self, r):
        for visitor in ["ann", "bob"]:
            hyperloglog.track_visit(r, "home", visitor, MONDAY)
        hyperloglog.track_visit(r, "home", "cy", day(1))
        assert hyperloglog.unique_visitors_between(r, "home", MONDAY, MONDAY) == 2, (
            "a range from MONDAY to MONDAY is that one day: its 2 visitors"
        )

    def test_a_range_crosses_month_and_year_ends(self, r):
        first = date(2023, 12, 30)
        for n in range(4):
            hyperloglog.track_visit(r, "home", f"visitor-{n}", first + timedelta(days=n))
        assert r.exists("hll:home:2024-01-02"), "days are written YYYY-MM-DD in keys (2024-01-02, zero-padded)"
        count = hyperloglog.unique_visitors_between(r, "home", first, date(2024, 1, 2))
        assert count == 4, f"2023-12-30..2024-01-02 is 4 days with one visitor each; got {count}"

    def test_counting_a_range_leaves_the_daily_counts_unchanged(self, r):
        for n in range(4):
            for v in range(10):
                hyperloglog.track_visit(r, "home", f"day{n}-visitor-{v}", day(n))
        before = daily_counts("home", r, 0, 3)
        assert about(hyperloglog.unique_visitors_between(r, "home", day(0), day(3)), 40), (
            "4 days of 10 different visitors each: the range counts about 40"
        )
        after = daily_counts("home", r, 0, 3)
        assert after == before, (
            f"daily counts were {before} and became {after}: a range count must not write into a daily key "
            "(PFMERGE stores into its first key; count several keys with PFCOUNT)"
        )

    def test_merge_week_leaves_the_daily_counts_unchanged(self, r):
        for n in range(7):
            for v in range(5):
                hyperloglog.track_visit(r, "home", f"day{n}-visitor-{v}", day(n))
        before = daily_counts("home", r, 0, 6)
        hyperloglog.merge_week(r, "home", MONDAY)
        after = daily_counts("home", r, 0, 6)
        assert after == before, (
            f"daily counts were {before} and became {after}: merge_week must merge into the week key, "
            "never into a daily one"
        )

    def test_merge_week_covers_the_seven_days_from_week_start(self, r):
        for n in range(-1, 8):
            hyperloglog.track_visit(r, "home", f"visitor-of-day-{n}", day(n))
        key = hyperloglog.merge_week(r, "home", MONDAY)
        assert r.pfcount(key) == 7, (
            f"the week from 2024-03-04 is 2024-03-04..2024-03-10 (7 days, one visitor each); {key} holds "
            f"{r.pfcount(key)}"
        )

    def test_merging_a_week_again_includes_new_visits(self, r):
        hyperloglog.track_visit(r, "home", "ann", day(0))
        key = hyperloglog.merge_week(r, "home", MONDAY)
        hyperloglog.track_visit(r, "home", "bob", day(5))
        hyperloglog.track_visit(r, "home", "ann", day(6))
        assert hyperloglog.merge_week(r, "home", MONDAY) == key, "merging the same week again returns the same key"
        assert r.pfcount(key) == 2, "after a second merge, the week key must hold the visitors tracked since"

    def test_dimensions_and_values_are_counted_separately(self, r):
        hyperloglog.track_event(r, "ann", MONDAY, country="NL", device="mobile")
        hyperloglog.track_event(r, "bob", MONDAY, country="DE", language="NL")
        hyperloglog.track_event(r, "cy", day(1), country="NL")
        counts = {
            ("country", "NL"): hyperloglog.unique_by(r, MONDAY, "country", "NL"),
            ("language", "NL"): hyperloglog.unique_by(r, MONDAY, "language", "NL"),
            ("device", "NL"): hyperloglog.unique_by(r, MONDAY, "device", "NL"),
            ("country", "DE"): hyperloglog.unique_by(r, MONDAY, "country", "DE"),
        }
        assert counts == {("country", "NL"): 1, ("language", "NL"): 1, ("device", "NL"): 0, ("country", "DE"): 1}, (
            f"got {counts}: a count belongs to one dimension AND value AND day (country=NL is not language=NL)"
        )

    def test_a_days_visitors_broken_down_by_country_and_device(self, r):
        # Multi-dimensional analytics: 600 visitors, several events each, two dimensions.
        countries, devices = ["NL", "DE", "FR"], ["mobile", "desktop"]
        truth: dict[tuple[str, str], set[str]] = defaultdict(set)
        for event in range(1500):
            visitor = f"visitor-{(event * 7) % 600}"
            n = int(visitor.split("-")[1])
            country, device = countries[n % 3], devices[(n + event) % 2]
            hyperloglog.track_event(r, visitor, MONDAY, country=country, device=device)
            truth["country", country].add(visitor)
            truth["device", device].add(visitor)
        for (dim, value), visitors in sorted(truth.items()):
            count = hyperloglog.unique_by(r, MONDAY, dim, value)
            assert about(count, len(visitors)), (
                f"{dim}={value} had {len(visitors)} distinct visitors on the day; unique_by said {count}"
            )


@level(3)
class TestConcurrency:
    def test_visits_tracked_by_several_servers_at_once_all_count(self, r, make_redis):
        clients = [make_redis() for _ in range(4)]

        def serve(i: int) -> None:  # overlapping visitors: each server sees 400, 200 of them shared
            for v in range(400):
                hyperloglog.track_visit(clients[i], "home", f"visitor-{i * 200 + v}", MONDAY)

        run_concurrently(serve, 4)
        count = hyperloglog.unique_visitors(r, "home", MONDAY)
        assert about(count, 1000), f"4 servers tracked 1000 distinct visitors at once; the day counts {count}"

    def test_concurrent_range_queries_do_not_see_each_others_visitors(self, r, make_redis):
        for n in range(7):
            track_all(r, "home", [f"day{n}-visitor-{v}" for v in range(20)], day(n))
        # Every write of a merged result is held until all 6 queries have written theirs: queries
        # that merge into one shared scratch key count each other's days.
        writes = ("PFMERGE", "COPY", "SUNIONSTORE", "RENAME")
        client = make_redis(on_reply=chain(ReadBarrier(6, commands=writes), pause_after(writes, 0.002)))
        counts = run_concurrently(lambda i: hyperloglog.unique_visitors_between(client, "home", day(i), day(i + 1)), 6)
        assert all(about(c, 40) for c in counts), (
            f"6 simultaneous two-day queries (40 visitors each) returned {counts}: a scratch key shared by "
            "concurrent callers mixes their ranges; count with PFCOUNT of several keys (or a key of your own)"
        )

    def test_a_week_being_merged_again_never_reads_as_empty(self, r, make_redis):
        for n in range(7):
            track_all(r, "home", [f"day{n}-visitor-{v}" for v in range(10)], day(n))
        key = hyperloglog.merge_week(r, "home", MONDAY)
        first = r.pfcount(key)
        track_all(r, "home", [f"late-visitor-{v}" for v in range(10)], day(3))
        # While the week is merged again, a dashboard reads it after every reply the merger gets.
        dashboard = make_redis()
        seen: list[tuple[str, int]] = []
        merger = make_redis(on_reply=lambda command, args: seen.append((command, dashboard.pfcount(key))))
        hyperloglog.merge_week(merger, "home", MONDAY)
        dips = [(command, n) for command, n in seen if n < first]
        assert not dips, (
            f"while merging again, a reader saw the week at {dips[0][1]} visitors (was {first}) after {dips[0][0]}: "
            "PFMERGE into the existing week key (it is one of the sources), don't delete it first"
        )
        assert about(r.pfcount(key), 80), "the re-merged week must hold the late visitors too"


@level(4)
class TestEvidence:
    def test_100k_visitors_are_counted_within_2_percent_in_under_16_kb(self, r, evidence):
        visitors = [f"visitor-{i}" for i in range(100_000)]
        # 10,000 visitors tracked one by one through track_visit, with a real client: checked in full.
        tracked = visitors[:10_000]
        track_all(r, "home", tracked, MONDAY)
        track_all(r, "home", tracked[:1_000], MONDAY)  # a thousand of them come back the same day
        first = hyperloglog.unique_visitors(r, "home", MONDAY)
        assert about(first, len(tracked)), (
            f"10,000 distinct visitors (a thousand of them twice) were counted as {first}: count with PFCOUNT; "
            "PFADD's reply says whether the HyperLogLog's registers changed, not whether the visitor is new"
        )
        # The other 90,000 are added by the harness itself, straight into the day's HyperLogLog (fast).
        seed_visitors(r, "hll:home:2024-03-04", visitors[10_000:])
        estimate = hyperloglog.unique_visitors(r, "home", MONDAY)
        error = abs(estimate - len(visitors)) / len(visitors)
        hll_bytes = keys_memory(r)  # everything stored for 100k visitors
        for k in range(0, len(visitors), 10_000):  # the baseline: a set of the same ids
            r.sadd("baseline:set", *visitors[k : k + 10_000])
        set_bytes = memory_usage(r, "baseline:set")
        evidence.record(
            "error counting 100k distinct visitors",
            round(100 * error, 2),
            "%",
            claim="0.81% error",
            detail=f"estimate {estimate} for 100000",
        )
        evidence.record(
            "memory for 100k visitors (HyperLogLog)", round(hll_bytes / 1024, 1), " KB", claim="12 KB", detail=""
        )
        evidence.record(
            "memory saved vs a set of the same ids",
            round(100 * (1 - hll_bytes / set_bytes), 2),
            "%",
            claim="99.6% memory reduction",
            detail=f"HyperLogLog {hll_bytes} B, set {set_bytes} B ({set_bytes / hll_bytes:.0f}× larger)",
        )
        assert error < 0.02, f"100000 visitors were counted as {estimate} ({100 * error:.2f}% off; HLL promises ~0.81%)"
        assert hll_bytes < 16 * 1024, (
            f"the keys for one day of 100k visitors take {hll_bytes} bytes: a HyperLogLog needs at most ~12 KB "
            "(don't keep the ids themselves)"
        )
        assert set_bytes > 100 * hll_bytes, (
            f"a set of the same ids takes {set_bytes} bytes, only {set_bytes / hll_bytes:.0f}× your {hll_bytes}"
        )

    def test_a_week_count_is_far_below_the_sum_of_daily_counts_when_visitors_return(self, r, evidence):
        # Daily and weekly active users: 700 regulars come every day, 300 new faces each day.
        regulars = [f"regular-{v}" for v in range(700)]
        for n in range(7):
            track_all(r, "home", regulars + [f"day{n}-new-{v}" for v in range(300)], day(n))
        truth = 700 + 7 * 300
        dau = daily_counts("home", r, 0, 6)
        wau = hyperloglog.unique_visitors_between(r, "home", day(0), day(6))
        merged = r.pfcount(hyperloglog.merge_week(r, "home", MONDAY))
        evidence.record(
            "sum of 7 daily counts ÷ weekly unique visitors",
            round(sum(dau) / wau, 2),
            "×",
            detail=f"DAU {dau}, sum {sum(dau)}; WAU by union {wau} (merged week {merged}), truth {truth}",
        )
        assert all(about(d, 1000) for d in dau), f"each day had 1000 distinct visitors; daily counts {dau}"
        assert about(wau, truth), f"the week had {truth} distinct visitors; unique_visitors_between said {wau}" + (
            " — that is the sum of the daily counts, not their union" if about(wau, sum(dau)) else ""
        )
        assert about(merged, truth), f"merge_week's key holds {merged}, the week had {truth} distinct visitors"
        assert wau < 0.5 * sum(dau), "with returning visitors the weekly count must be far below the sum of days"
