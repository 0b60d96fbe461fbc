"""Mistake: get_session reads the hash but does not push the expiry back: an active user is logged out mid-visit.

Caught by: test_reading_slides_the_expiry_back_to_idle_ttl_s
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "06_sessions/sessions.py")


def get_session(r, sid, idle_ttl_s=1800):
    fields = r.hgetall(session_key(sid))  # noqa: F821 - from the reference
    return decode(fields) if fields else None  # noqa: F821
