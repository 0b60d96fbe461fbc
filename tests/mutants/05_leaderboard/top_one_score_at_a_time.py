"""Mistake: top reads the n best names, then asks for each player's score in its own command (n + 1 round trips).

Caught by: test_top_n_reads_n_entries_in_one_command_not_the_whole_board
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "05_leaderboard/leaderboard.py")


def top(r, n, day=None):
    key = board(day)  # noqa: F821 - from the reference
    names = r.zrange(key, 0, n - 1, desc=True)
    return [(name, float(r.zscore(key, name))) for name in names]
