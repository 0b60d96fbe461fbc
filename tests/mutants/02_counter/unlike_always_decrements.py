"""Mistake: likes are remembered in a set, but a separate counter is decremented on every unlike, liked or not.

Caught by: test_unlike_of_a_post_you_did_not_like_changes_nothing
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "02_counter/counter.py")


def like(r, post_id, user_id):
    if r.sadd(f"likers:{post_id}", user_id):
        return int(r.incr(f"likes:{post_id}:count"))
    return likes(r, post_id)


def unlike(r, post_id, user_id):
    r.srem(f"likers:{post_id}", user_id)
    return int(r.decr(f"likes:{post_id}:count"))


def likes(r, post_id):
    return int(r.get(f"likes:{post_id}:count") or 0)
