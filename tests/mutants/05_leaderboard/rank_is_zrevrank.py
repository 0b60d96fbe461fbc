"""Mistake: rank is ZREVRANK + 1, a position in the board, so tied players get different ranks.

Caught by: test_tied_players_share_a_rank_and_the_next_rank_is_skipped, test_rank_is_the_competition_rank_of_every_player
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "05_leaderboard/leaderboard.py")


def rank(r, player, day=None):
    position = r.zrevrank(board(day), player)  # noqa: F821 - from the reference
    return None if position is None else position + 1
