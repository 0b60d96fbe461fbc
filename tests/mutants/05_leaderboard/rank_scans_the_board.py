"""Mistake: rank fetches the whole board and counts the players ahead in Python: O(N) per lookup.

Caught by: test_rank_beats_a_database_rank_query
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "05_leaderboard/leaderboard.py")


def rank(r, player, day=None):
    everyone = r.zrange(board(day), 0, -1, withscores=True)  # noqa: F821 - from the reference
    mine = dict(everyone).get(player)
    if mine is None:
        return None
    return 1 + sum(1 for _, score in everyone if score > mine)
