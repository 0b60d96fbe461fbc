"""Mistake: the daily boards are written without an expiry, so a new key piles up every day forever.

Caught by: test_daily_boards_expire_within_eight_days
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "05_leaderboard/leaderboard.py")


def add_score(r, player, points, day):
    r.zincrby(daily_key(day), points, player)  # noqa: F821 - from the reference
    return float(r.zincrby(GLOBAL, points, player))  # noqa: F821
