"""Mistake: unlike asks SISMEMBER first, then removes and decrements: simultaneous unlikes all decrement, below the real count.

Caught by: test_concurrent_unlikes_never_push_the_count_below_zero
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "02_counter/counter.py")


def like(r, post_id, user_id):
    if r.sadd(f"likers:{post_id}", user_id):
        r.incr(f"likes:{post_id}:count")
    return likes(r, post_id)


def unlike(r, post_id, user_id):
    if r.sismember(f"likers:{post_id}", user_id):
        r.srem(f"likers:{post_id}", user_id)
        r.decr(f"likes:{post_id}:count")
    return likes(r, post_id)


def likes(r, post_id):
    return int(r.get(f"likes:{post_id}:count") or 0)
