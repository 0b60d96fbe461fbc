"""Mistake: add_score reads the player's score, adds in Python and writes it back: concurrent scores get lost.

Caught by: test_20_concurrent_scores_for_one_player_all_count
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "05_leaderboard/leaderboard.py")


def add_score(r, player, points, day):
    key = daily_key(day)  # noqa: F821 - from the reference
    total = (r.zscore(GLOBAL, player) or 0) + points  # noqa: F821
    today = (r.zscore(key, player) or 0) + points
    r.zadd(GLOBAL, {player: total})  # noqa: F821
    r.zadd(key, {player: today})
    r.expire(key, DAILY_TTL_S)  # noqa: F821
    return float(total)
