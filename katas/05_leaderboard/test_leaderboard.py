"""Kata 05 — leaderboards on sorted sets. Run: pytest katas/05_leaderboard  (one level: --level 2)."""

from __future__ import annotations

import random
import time
from collections import defaultdict
from datetime import date, timedelta

import leaderboard
import pytest

from dojo.measure import count_commands, traffic_client
from dojo.measure.redis import keys_without_expiry
from dojo.race import ReadBarrier, crash_points, pause_after, run_concurrently

level = pytest.mark.level

# Days near today, so that any reasonable expiry (from now, or from the day) keeps the boards alive.
TODAY = date.today()
WEEK = TODAY - timedelta(days=3)
DAYS = [WEEK + timedelta(days=i) for i in range(7)]
EIGHT_DAYS_S = 8 * 24 * 3600


# --- oracles ------------------------------------------------------------------------------------


class Scores:
    """Seeded random play, recorded through add_score and mirrored in plain Python dicts."""

    def __init__(self, r, seed: int, players: int = 40, events: int = 300, days=DAYS, points=(5, 10, 15, 20, 25)):
        rng = random.Random(seed)
        names = [f"player-{i:03d}" for i in range(players)]
        self.total: dict[str, float] = defaultdict(float)
        self.daily: dict[date, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for name in names:  # everybody scores at least once, so the oracle knows every player
            self.add(r, name, rng.choice(points), rng.choice(days))
        for _ in range(events - players):
            self.add(r, rng.choice(names), rng.choice(points), rng.choice(days))

    def add(self, r, player: str, points: float, day: date) -> None:
        leaderboard.add_score(r, player, points, day)
        self.total[player] += points
        self.daily[day][player] += points

    def board(self, day: date | None = None) -> dict[str, float]:
        return dict(self.total if day is None else self.daily.get(day, {}))

    def week(self, start: date) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        for i in range(7):
            for player, score in self.daily.get(start + timedelta(days=i), {}).items():
                out[player] += score
        return dict(out)


def sorted_scores(board: dict[str, float]) -> list[float]:
    return sorted(board.values(), reverse=True)


def oracle_rank(board: dict[str, float], player: str) -> int:
    return 1 + sum(1 for s in board.values() if s > board[player])


def check_top(got, board: dict[str, float], n: int, what: str) -> None:
    """`got` is a correct top-n of `board` whatever order the tied players come in."""
    got = list(got)
    expected = sorted_scores(board)[:n]
    assert all(isinstance(p, tuple) and len(p) == 2 for p in got), f"{what}: return (player, score) tuples"
    players = [p for p, _ in got]
    assert len(set(players)) == len(players), f"{what}: a player appears twice in {got}"
    for player, score in got:
        assert board.get(player) == score, (
            f"{what}: {player} is listed with {score}, but their score is {board.get(player)}"
        )
    assert [s for _, s in got] == expected, (
        f"{what}: expected the scores {expected} (highest first), got {[s for _, s in got]}"
    )


def check_around(got, board: dict[str, float], player: str, k: int, what: str) -> None:
    """`got` is a window of 2k+1 around `player` in SOME valid board order, clipped at both ends.

    Tied players may come in any order, so the player's position is only known to lie within
    its tie group; the scores of the window are fully determined once that position is fixed.
    """
    got = list(got)
    scores = sorted_scores(board)
    size = len(scores)
    players = [p for p, _ in got]
    assert players.count(player) == 1, f"{what}: the player must appear exactly once in {got}"
    assert len(set(players)) == len(players), f"{what}: a player appears twice in {got}"
    for name, score in got:
        assert board.get(name) == score, f"{what}: {name} is listed with {score}, but their score is {board.get(name)}"
    mine = players.index(player)
    higher = sum(1 for s in scores if s > board[player])
    tied = sum(1 for s in scores if s == board[player])
    for position in range(higher, higher + tied):  # where the player may sit in board order
        above, below = min(k, position), min(k, size - 1 - position)
        if mine == above and len(got) == above + 1 + below:
            if [s for _, s in got] == scores[position - above : position + below + 1]:
                return
    start = max(0, higher - k)
    pytest.fail(
        f"{what}: around({player!r}, k={k}) returned {got}; expected the player with up to {k} neighbours "
        f"above and below in board order (highest first), clipped at the ends, e.g. the scores "
        f"{scores[start : higher + k + 1]}"
    )


# --- level 1 ------------------------------------------------------------------------------------


@level(1)
class TestCore:
    def test_add_score_returns_the_new_global_total(self, r):
        assert leaderboard.add_score(r, "alice", 10, TODAY) == 10.0, "a first score of 10 makes a global total of 10.0"
        assert leaderboard.add_score(r, "alice", 5, TODAY) == 15.0, "add_score must ADD to the total, not replace it"
        assert leaderboard.add_score(r, "alice", 2.5, TODAY - timedelta(days=1)) == 17.5, (
            "add_score returns the GLOBAL total, over all days"
        )

    def test_a_score_counts_on_the_global_board_and_on_its_days_board(self, r):
        leaderboard.add_score(r, "alice", 10, TODAY)
        leaderboard.add_score(r, "alice", 7, TODAY - timedelta(days=1))
        leaderboard.add_score(r, "bob", 3, TODAY)
        assert r.zscore("lb:global", "alice") == 17, "lb:global must hold each player's total over all days"
        assert r.zscore(f"lb:daily:{TODAY.isoformat()}", "alice") == 10, (
            "lb:daily:{YYYY-MM-DD} must hold only the points scored that day"
        )
        assert r.zscore(f"lb:daily:{(TODAY - timedelta(days=1)).isoformat()}", "alice") == 7, (
            "a score counts on the board of the day it was given, lb:daily:{YYYY-MM-DD}"
        )
        assert r.zscore(f"lb:daily:{TODAY.isoformat()}", "bob") == 3, "each day's board holds that day's points"

    def test_the_global_top_matches_a_sorted_oracle(self, r):
        play = Scores(r, seed=5)
        for n in (1, 3, 10, 25):
            check_top(leaderboard.top(r, n), play.board(), n, f"top({n})")

    def test_a_daily_top_matches_that_days_oracle(self, r):
        play = Scores(r, seed=6)
        for day in DAYS[:3]:
            check_top(leaderboard.top(r, 5, day), play.board(day), 5, f"top(5, day={day})")

    def test_rank_is_the_competition_rank_of_every_player(self, r):
        play = Scores(r, seed=7)
        board = play.board()
        assert len(set(board.values())) < len(board), "harness check: the seeded data must contain ties"
        wrong = {p: (leaderboard.rank(r, p), oracle_rank(board, p)) for p in board}
        wrong = {p: v for p, v in wrong.items() if v[0] != v[1]}
        assert not wrong, (
            f"rank must be 1 + the number of players with a strictly higher score (ties share a rank); "
            f"(got, expected) for {len(wrong)} players: {dict(list(wrong.items())[:4])}"
        )

    def test_rank_on_a_daily_board(self, r):
        play = Scores(r, seed=8)
        day = DAYS[2]
        board = play.board(day)
        for player in board:
            assert leaderboard.rank(r, player, day) == oracle_rank(board, player), (
                f"rank({player!r}, day) must rank on that day's board"
            )

    def test_around_me_matches_the_board_for_every_player(self, r):
        play = Scores(r, seed=9, players=30, events=200)
        board = play.board()
        for player in board:
            check_around(leaderboard.around(r, player, 2), board, player, 2, "around (global)")
        day = DAYS[4]
        for player in play.board(day):
            check_around(leaderboard.around(r, player, 3, day), play.board(day), player, 3, "around (daily)")

    def test_weekly_top_sums_the_seven_days_from_week_start(self, r):
        play = Scores(r, seed=10)
        check_top(leaderboard.weekly_top(r, 10, WEEK), play.week(WEEK), 10, "weekly_top(10)")

    def test_every_players_tier_follows_the_cutoffs(self, r):
        play = Scores(r, seed=11, players=37)
        board = play.board()
        size = len(board)
        gold, silver = -(-size // 10), -(-size // 2)
        for player in board:
            k = oracle_rank(board, player)
            expected = "gold" if k <= gold else "silver" if k <= silver else "bronze"
            assert leaderboard.tier(r, player) == expected, (
                f"{player} ranks {k} of {size}: expected {expected!r} (gold up to rank ceil(0.1·N) = {gold}, "
                f"silver up to ceil(0.5·N) = {silver})"
            )


# --- level 2 ------------------------------------------------------------------------------------


def board_of(r, scores: dict[str, float], day: date = TODAY) -> None:
    for player, score in scores.items():
        leaderboard.add_score(r, player, score, day)


@level(2)
class TestEdges:
    def test_tied_players_share_a_rank_and_the_next_rank_is_skipped(self, r):
        board_of(r, {"ann": 90, "bob": 80, "cat": 80, "dan": 80, "eve": 70})
        ranks = {p: leaderboard.rank(r, p) for p in ("ann", "bob", "cat", "dan", "eve")}
        assert ranks == {"ann": 1, "bob": 2, "cat": 2, "dan": 2, "eve": 5}, (
            f"got {ranks}: competition ranking gives tied players the same rank (1, 2, 2, 2, 5); "
            "ZREVRANK is a position, and Redis breaks ties by name"
        )

    def test_an_unknown_player_has_no_rank_and_no_tier(self, r):
        board_of(r, {"ann": 90})
        assert leaderboard.rank(r, "nobody") is None, "rank must be None for a player not on the board"
        assert leaderboard.rank(r, "ann", TODAY - timedelta(days=30)) is None, "rank on a day with no board is None"
        assert leaderboard.tier(r, "nobody") is None, "tier must be None for a player not on the board"

    def test_top_of_a_short_or_missing_board(self, r):
        board_of(r, {"ann": 3, "bob": 2})
        check_top(leaderboard.top(r, 10), {"ann": 3, "bob": 2}, 10, "top(10) of a 2-player board")
        assert leaderboard.top(r, 5, TODAY - timedelta(days=30)) == [], "a day nobody played has an empty top"

    def test_around_the_leader_is_clipped_not_wrapped(self, r):
        scores = {f"p{i}": 100 - i for i in range(10)}  # p0 leads, p9 is last, no ties
        board_of(r, scores)
        got = leaderboard.around(r, "p0", 3)
        assert [p for p, _ in got] == ["p0", "p1", "p2", "p3"], (
            f"around the leader with k=3 returned {got}: nobody is above the leader, so the list starts "
            "with them (a negative start index counts from the END of a sorted set)"
        )
        got = leaderboard.around(r, "p1", 3)
        assert [p for p, _ in got] == ["p0", "p1", "p2", "p3", "p4"], f"around the runner-up returned {got}"

    def test_around_the_last_player_is_clipped_not_wrapped(self, r):
        scores = {f"p{i}": 100 - i for i in range(10)}
        board_of(r, scores)
        got = leaderboard.around(r, "p9", 3)
        assert [p for p, _ in got] == ["p6", "p7", "p8", "p9"], (
            f"around the last player with k=3 returned {got}: nobody is below, and the list never wraps round"
        )
        got = leaderboard.around(r, "p5", 10)
        assert [p for p, _ in got] == [f"p{i}" for i in range(10)], "with k larger than the board, return the board"

    def test_daily_boards_expire_within_eight_days(self, r):
        leaderboard.add_score(r, "alice", 10, TODAY)
        key = f"lb:daily:{TODAY.isoformat()}"
        ttl = r.ttl(key)
        assert ttl != -1, f"{key} has no expiry: daily boards must expire, or they pile up forever"
        assert 0 < ttl <= EIGHT_DAYS_S, f"{key} expires in {ttl} s: a daily board's TTL must be > 0 and ≤ 8 days"
        leaderboard.add_score(r, "bob", 1, TODAY)
        assert 0 < r.ttl(key) <= EIGHT_DAYS_S, "the board lost its expiry after the next score"

    def test_a_client_that_dies_between_any_two_steps_leaves_no_board_without_expiry(self, r, make_redis):
        # The client is killed right after its 1st write, then (a fresh run) after its 2nd, ...: a
        # daily board given its expiry in a separate command lives for ever if the client dies in
        # between; a weekly sum's scratch key likewise; and no daily board may change.
        def setup() -> None:
            r.flushdb()
            for i, day in enumerate(DAYS):
                board_of(r, {"ann": 10 + i, "bob": 5 * i}, day)

        operations = {
            "add_score": lambda c: leaderboard.add_score(c, "alice", 10, DAYS[-1] + timedelta(days=1)),  # a new board
            "weekly_top": lambda c: leaderboard.weekly_top(c, 3, WEEK),
        }
        for name, operation in operations.items():
            setup()
            operation(r)  # a call that finishes: what it leaves without an expiry is by design (lb:global)
            lasting = set(keys_without_expiry(r))
            setup()
            boards = {day: r.zrange(f"lb:daily:{day.isoformat()}", 0, -1, withscores=True) for day in DAYS}

            def check(point, name=name, lasting=lasting, boards=boards) -> None:
                immortal = sorted(set(keys_without_expiry(r)) - lasting)
                assert not immortal, (
                    f"{name}: the client died {point} and left {immortal} without an expiry: give a daily board its "
                    "expiry in the same atomic step as its score (MULTI/EXEC or a script)"
                )
                if name == "weekly_top":
                    changed = [
                        d for d in DAYS if r.zrange(f"lb:daily:{d.isoformat()}", 0, -1, withscores=True) != boards[d]
                    ]
                    assert not changed, f"weekly_top: the client died {point} and the boards of {changed} had changed"

            crash_points(make_redis, operation, check, setup=setup)

    def test_weekly_top_leaves_the_daily_boards_unchanged(self, r):
        play = Scores(r, seed=12)
        before = {day: r.zrange(f"lb:daily:{day.isoformat()}", 0, -1, withscores=True) for day in DAYS}
        keys_before = set(r.keys("*"))
        check_top(leaderboard.weekly_top(r, 10, WEEK), play.week(WEEK), 10, "weekly_top")
        check_top(leaderboard.weekly_top(r, 10, WEEK), play.week(WEEK), 10, "weekly_top, asked twice")
        for day in DAYS:
            after = r.zrange(f"lb:daily:{day.isoformat()}", 0, -1, withscores=True)
            assert after == before[day], (
                f"weekly_top changed the board of {day}: sum into a temporary key (or use ZUNION), "
                "never ZUNIONSTORE into a daily board"
            )
        lasting = [k for k in set(r.keys("*")) - keys_before if r.ttl(k) == -1]
        assert not lasting, f"weekly_top left keys without an expiry behind: {lasting}"

    def test_weekly_top_counts_exactly_the_seven_days_from_week_start(self, r):
        board_of(r, {"ann": 1, "bob": 2}, WEEK)
        board_of(r, {"ann": 10}, WEEK + timedelta(days=6))  # the week's last day counts
        board_of(r, {"bob": 100, "cat": 100}, WEEK - timedelta(days=1))  # the day before does not
        board_of(r, {"bob": 100, "dan": 100}, WEEK + timedelta(days=7))  # nor the day after
        got = leaderboard.weekly_top(r, 5, WEEK)
        assert got == [("ann", 11.0), ("bob", 2.0)], (
            f"weekly_top returned {got}: the week is week_start … week_start + 6 days, both included"
        )
        assert leaderboard.weekly_top(r, 5, WEEK + timedelta(days=20)) == [], "a week nobody played is empty"

    def test_tiers_at_the_cutoffs_round_up_and_respect_ties(self, r):
        # 15 players: gold is rank ≤ ceil(1.5) = 2, silver rank ≤ ceil(7.5) = 8.
        board_of(r, {f"p{i:02d}": 100 - i for i in range(15)})
        tiers = [leaderboard.tier(r, f"p{i:02d}") for i in range(15)]
        assert tiers == ["gold"] * 2 + ["silver"] * 6 + ["bronze"] * 7, (
            f"tiers by rank 1..15 were {tiers}: the cutoffs are ceil(0.1·N) and ceil(0.5·N), rounded UP"
        )

    def test_players_tied_at_a_cutoff_share_the_tier(self, r):
        # 10 players, gold is rank ≤ 1: the three tied leaders all have rank 1.
        board_of(r, {"ann": 50, "bob": 50, "cat": 50, **{f"p{i}": 40 - i for i in range(7)}})
        tiers = {p: leaderboard.tier(r, p) for p in ("ann", "bob", "cat")}
        assert tiers == {"ann": "gold", "bob": "gold", "cat": "gold"}, (
            f"three players tied for first got {tiers}: the tier follows the competition rank, not the position"
        )
        assert leaderboard.tier(r, "p0") == "silver", "p0 has rank 4 of 10: silver (≤ ceil(0.5·10) = 5)"
        assert leaderboard.tier(r, "p1") == "silver" and leaderboard.tier(r, "p2") == "bronze", (
            "ranks 5 and 6 of 10 are silver (≤ 5) and bronze"
        )


# --- level 3 ------------------------------------------------------------------------------------


@level(3)
class TestConcurrency:
    def test_20_concurrent_scores_for_one_player_all_count(self, r, make_redis):
        # Every read of a score is held until all 20 clients have read: a read-then-write
        # (ZSCORE, then ZADD score + points) loses 19 of the 20 points every run.
        client = make_redis(on_reply=ReadBarrier(20, commands=("ZSCORE", "ZMSCORE")))
        run_concurrently(lambda i: leaderboard.add_score(client, "alice", 1, TODAY), 20)
        total = r.zscore("lb:global", "alice")
        assert total == 20, (
            f"20 concurrent scores of 1 point left a total of {total}: add on the server (ZINCRBY), "
            "don't read, add in Python and write back"
        )
        assert r.zscore(f"lb:daily:{TODAY.isoformat()}", "alice") == 20, "points were lost on the daily board"

    def test_concurrent_weekly_tops_of_different_weeks_do_not_mix(self, r, make_redis):
        last_week = WEEK - timedelta(days=7)
        board_of(r, {"ann": 5, "bob": 3}, WEEK)
        board_of(r, {"cat": 9, "dan": 1}, last_week)
        # Each client pauses right after storing a union: a shared scratch key is overwritten
        # by the other caller before it is read back.
        slow = pause_after(["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE", "ZRANGESTORE"], 0.2)
        client = make_redis(on_reply=slow)
        weeks = [WEEK, last_week]
        got = run_concurrently(lambda i: leaderboard.weekly_top(client, 5, weeks[i]), 2)
        assert got[0] == [("ann", 5.0), ("bob", 3.0)] and got[1] == [("cat", 9.0), ("dan", 1.0)], (
            f"two concurrent weekly_top calls returned {got}: one read the other's union. Use a scratch key "
            "private to the call (or ZUNION, or one MULTI/EXEC)"
        )


# --- level 4 ------------------------------------------------------------------------------------


RANGE_COMMANDS = {"ZRANGE", "ZREVRANGE", "ZRANGEBYSCORE", "ZREVRANGEBYSCORE"}


FILL = """
for i = 0, tonumber(ARGV[1]) - 1 do
  redis.call('ZADD', KEYS[1], (i * 7919) % tonumber(ARGV[2]), string.format('player-%06d', i))
end
"""


def big_board(r, size: int) -> dict[str, int]:
    """`size` players written straight into lb:global by a server-side loop; every score is shared by two."""
    r.eval(FILL, 1, "lb:global", size, size // 2)
    return {f"player-{i:06d}": (i * 7919) % (size // 2) for i in range(size)}


@level(4)
class TestEvidence:
    def test_top_n_reads_n_entries_in_one_command_not_the_whole_board(self, r, redis_url, evidence):
        board = big_board(r, 20_000)
        client, traffic = traffic_client(redis_url)
        seen = {}
        for n in (10, 100):
            traffic.reset()
            with count_commands(r) as counts:
                got = leaderboard.top(client, n)
            check_top(got, board, n, f"top({n}) of 20,000")
            seen[n] = (list(traffic.data_commands), traffic.values, counts)
        commands, values, counts = seen[10]
        evidence.record(
            "values received for top(10) of a 20,000-player board",
            values,
            "",
            detail=f"commands sent: {commands}; server: {counts}; top(100): {seen[100][1]} values",
        )
        assert values <= 2 * 10 + 10, (
            f"top(10) received {values} values from Redis for a 20,000-player board: ask the server for the "
            "n best only (a range of 0 … n-1, highest first), don't fetch the board and sort in Python"
        )
        assert len(commands) <= 2 and len(seen[100][0]) == len(commands), (
            f"top(10) sent {commands}, top(100) sent {seen[100][0]}: one range command returns the top n "
            "with their scores; don't ask for each player's score one by one"
        )
        assert set(commands) & (RANGE_COMMANDS | {"EVAL", "EVALSHA", "FCALL", "FCALL_RO"}), (
            f"top(n) sent {commands}: read the top n with a range command (ZRANGE … REV, or ZREVRANGE)"
        )

    def test_around_me_reads_the_neighbourhood_not_the_board(self, r, redis_url, evidence):
        board = big_board(r, 20_000)
        client, traffic = traffic_client(redis_url)
        player = "player-001234"
        got = leaderboard.around(client, player, 5)
        check_around(got, board, player, 5, "around in a 20,000-player board")
        evidence.record(
            "values received for around(k=5) in a 20,000-player board",
            traffic.values,
            "",
            detail=f"commands sent: {traffic.data_commands} in {traffic.round_trips} round trip(s)",
        )
        assert traffic.values <= 2 * 11 + 10, (
            f"around(k=5) received {traffic.values} values: find the player's position (ZREVRANK), then read "
            "only positions max(0, p-k) … p+k"
        )
        assert len(traffic.data_commands) <= 4, f"around sent {traffic.data_commands}: a couple of commands suffice"

    @pytest.mark.perf
    def test_rank_beats_a_database_rank_query(self, r, conn, evidence):
        size = 100_000
        board = big_board(r, size)
        conn.execute("CREATE TABLE scores (player text PRIMARY KEY, score bigint NOT NULL)")
        conn.execute(
            "INSERT INTO scores SELECT format('player-%%s', lpad(i::text, 6, '0')), (i::bigint * 7919) %% %s "
            "FROM generate_series(0, %s - 1) AS i",
            (size // 2, size),
        )
        conn.commit()
        conn.execute("ANALYZE scores")
        # Ranking in the database: count who is ahead. There is no index on score, so every
        # lookup reads the whole table (with one, it would still count through N/2 entries on average).
        sql = "SELECT count(*) + 1 FROM scores WHERE score > (SELECT score FROM scores WHERE player = %s)"
        players = [f"player-{i:06d}" for i in random.Random(4).sample(range(size), 20)]
        for player in players[:3]:
            db_rank = conn.execute(sql, (player,)).fetchone()[0]
            assert leaderboard.rank(r, player) == db_rank == oracle_rank(board, player), (
                f"rank({player!r}) disagrees with the SQL count on the same data"
            )
        started = time.perf_counter()
        conn.execute(sql, (players[0],)).fetchone()
        sql_s = time.perf_counter() - started
        started = time.perf_counter()
        leaderboard.rank(r, players[0])
        redis_s = time.perf_counter() - started
        assert redis_s < 3 * sql_s, (  # fail fast: a board-scanning rank would make the timing loop crawl
            f"one rank took {redis_s * 1000:.0f} ms, counting 100,000 rows in SQL {sql_s * 1000:.0f} ms: "
            "rank must be a couple of O(log N) commands (e.g. ZSCORE + ZCOUNT), not a scan of the board"
        )
        turn = iter(range(10**6))

        def database_rank() -> None:
            conn.execute(sql, (players[next(turn) % len(players)],)).fetchone()

        def redis_rank() -> None:
            leaderboard.rank(r, players[next(turn) % len(players)])

        result = evidence.compare(
            "rank of one player among 100,000: SQL count vs Redis",
            database_rank,
            redis_rank,
            claim="1000× faster than database rankings (500 ms → 0.5 ms)",
            repeats=21,
        )
        # Typically 25-45× here; with every core oversubscribed (load 10 on 2 cores) the Redis round
        # trips wait for the scheduler and it fell to 4×. Any O(N) rank (a board scan) is below 0.1×.
        assert result.ratio >= 2, (
            f"a Redis rank was only {result.ratio:.1f}× faster than counting 100,000 rows in SQL ({result}): "
            "rank must be a couple of O(log N) commands (e.g. ZSCORE + ZCOUNT), not a scan of the board"
        )
