"""Mistake: the index gets its expiry with EXPIRE … GT only, which never sets one on a key that has none.

Caught by: test_no_key_is_ever_left_without_an_expiry
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "06_sessions/sessions.py")


def keep_index_alive(p, user_id, ttl_s):
    p.expire(index_key(user_id), ttl_s, gt=True)  # noqa: F821 - from the reference
