"""Mistake: the tier cutoffs use int(0.1 * N) and int(0.5 * N), rounding down instead of up.

Caught by: test_tiers_at_the_cutoffs_round_up_and_respect_ties
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "05_leaderboard/leaderboard.py")


def tier(r, player):
    k = rank(r, player)  # noqa: F821 - from the reference
    if k is None:
        return None
    size = r.zcard(GLOBAL)  # noqa: F821
    return "gold" if k <= int(0.1 * size) else "silver" if k <= int(0.5 * size) else "bronze"
