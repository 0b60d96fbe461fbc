"""Mistake: update_session checks EXISTS, then writes in a second step: a logout in between is undone.

Caught by: test_an_update_racing_a_logout_does_not_resurrect_the_session
"""

import json

from dojo.authoring.mutants import inherit

inherit(globals(), "06_sessions/sessions.py")


def update_session(r, sid, changes, idle_ttl_s=1800):
    key = session_key(sid)  # noqa: F821 - from the reference
    if not r.exists(key):
        return False
    with r.pipeline(transaction=True) as p:
        p.hset(key, mapping={k: json.dumps(v) for k, v in changes.items()})
        p.expire(key, idle_ttl_s)
        p.execute()
    return True
