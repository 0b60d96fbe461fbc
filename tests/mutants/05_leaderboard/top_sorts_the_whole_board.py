"""Mistake: top fetches the whole board and sorts and slices it in Python.

Caught by: test_top_n_reads_n_entries_in_one_command_not_the_whole_board
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "05_leaderboard/leaderboard.py")


def top(r, n, day=None):
    everyone = r.zrange(board(day), 0, -1, withscores=True)  # noqa: F821 - from the reference
    return sorted(((m, float(s)) for m, s in everyone), key=lambda p: -p[1])[:n]
