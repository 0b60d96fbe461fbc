"""Mistake: around asks for positions p-k … p+k without clamping, and a negative start counts from the end.

Caught by: test_around_the_leader_is_clipped_not_wrapped
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "05_leaderboard/leaderboard.py")


def around(r, player, k, day=None):
    key = board(day)  # noqa: F821 - from the reference
    position = r.zrevrank(key, player)
    if position is None:
        return []
    return pairs(r.zrange(key, position - k, position + k, desc=True, withscores=True))  # noqa: F821
