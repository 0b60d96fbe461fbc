"""Mistake: like asks SISMEMBER first, then adds and increments a counter: simultaneous likes by one user all pass the check.

Caught by: test_concurrent_double_likes_by_one_user_count_once
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "02_counter/counter.py")


def like(r, post_id, user_id):
    if not r.sismember(f"likers:{post_id}", user_id):
        r.sadd(f"likers:{post_id}", user_id)
        r.incr(f"likes:{post_id}:count")
    return likes(r, post_id)


def unlike(r, post_id, user_id):
    if r.srem(f"likers:{post_id}", user_id):
        r.decr(f"likes:{post_id}:count")
    return likes(r, post_id)


def likes(r, post_id):
    return int(r.get(f"likes:{post_id}:count") or 0)
