"""Mistake: add_score adds the points in one transaction and gives the daily board its expiry in a second command: a client that dies in between leaves a board that never expires.

Caught by: test_a_client_that_dies_between_any_two_steps_leaves_no_board_without_expiry
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "05_leaderboard/leaderboard.py")


def add_score(r, player, points, day):
    key = daily_key(day)  # noqa: F821 - from the reference
    with r.pipeline(transaction=True) as p:
        p.zincrby(GLOBAL, points, player)  # noqa: F821
        p.zincrby(key, points, player)
        total, _ = p.execute()
    r.expire(key, DAILY_TTL_S)  # noqa: F821 - too late if the client dies first
    return float(total)
