"""Mistake: tier uses the position in the board (ZREVRANK), so players tied at a cutoff land in different tiers.

Caught by: test_players_tied_at_a_cutoff_share_the_tier
"""

import math

from dojo.authoring.mutants import inherit

inherit(globals(), "05_leaderboard/leaderboard.py")


def tier(r, player):
    position = r.zrevrank(GLOBAL, player)  # noqa: F821 - from the reference
    if position is None:
        return None
    k, size = position + 1, r.zcard(GLOBAL)  # noqa: F821
    return "gold" if k <= math.ceil(size / 10) else "silver" if k <= math.ceil(size / 2) else "bronze"
