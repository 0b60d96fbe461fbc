"""Mistake: the index's expiry is set when a session is created, but not pushed when the session slides, so it dies first.

Caught by: test_the_index_outlives_every_session_it_lists
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "06_sessions/sessions.py")

_create_session = create_session  # noqa: F821 - from the reference


def keep_index_alive(p, user_id, ttl_s):
    pass


def create_session(r, user_id, data, idle_ttl_s=1800):
    sid = _create_session(r, user_id, data, idle_ttl_s)
    r.expire(index_key(user_id), idle_ttl_s)  # noqa: F821
    return sid
