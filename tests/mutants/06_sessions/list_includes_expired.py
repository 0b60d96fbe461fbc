"""Mistake: list_sessions returns the index set as it is, including ids of sessions that have expired.

Caught by: test_list_sessions_returns_live_ids_only
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "06_sessions/sessions.py")


def list_sessions(r, user_id):
    return list(r.smembers(index_key(user_id)))  # noqa: F821 - from the reference
