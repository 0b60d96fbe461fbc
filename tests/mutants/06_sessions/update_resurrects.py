"""Mistake: update_session runs HSET and EXPIRE without checking the session exists, so it resurrects expired sessions.

Caught by: test_updating_an_expired_session_writes_nothing
"""

import json

from dojo.authoring.mutants import inherit

inherit(globals(), "06_sessions/sessions.py")


def update_session(r, sid, changes, idle_ttl_s=1800):
    with r.pipeline(transaction=True) as p:
        p.hset(session_key(sid), mapping={k: json.dumps(v) for k, v in changes.items()})  # noqa: F821
        p.expire(session_key(sid), idle_ttl_s)  # noqa: F821 - from the reference
        p.execute()
    return True
