"""Mistake: like/unlike keep a separate counter next to the set of likers and update it in a second command (SADD, then INCR): a client that dies in between leaves the count wrong for good.

Caught by: test_a_client_that_dies_mid_like_or_unlike_leaves_the_count_right
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "02_counter/counter.py")


def like(r, post_id, user_id):
    if r.sadd(f"likes:{post_id}", user_id):  # SADD decides, so concurrent double likes count once...
        return int(r.incr(f"likes:{post_id}:count"))  # ...but this is a second step
    return int(r.get(f"likes:{post_id}:count") or 0)


def unlike(r, post_id, user_id):
    if r.srem(f"likes:{post_id}", user_id):
        return int(r.decr(f"likes:{post_id}:count"))
    return int(r.get(f"likes:{post_id}:count") or 0)


def likes(r, post_id):
    return int(r.get(f"likes:{post_id}:count") or 0)
