"""Mistake: like just increments a counter, so a user who likes twice counts twice.

Caught by: test_a_double_like_counts_once
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "02_counter/counter.py")


def like(r, post_id, user_id):
    return int(r.incr(f"likes:{post_id}:count"))


def unlike(r, post_id, user_id):
    return int(r.decr(f"likes:{post_id}:count"))


def likes(r, post_id):
    return int(r.get(f"likes:{post_id}:count") or 0)
