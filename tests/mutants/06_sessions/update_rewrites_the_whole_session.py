"""Mistake: update_session reads the whole session, merges in Python and writes every field back: concurrent updates are lost.

Caught by: test_concurrent_updates_of_different_fields_all_survive
"""

import json

from dojo.authoring.mutants import inherit

inherit(globals(), "06_sessions/sessions.py")


def update_session(r, sid, changes, idle_ttl_s=1800):
    key = session_key(sid)  # noqa: F821 - from the reference
    fields = r.hgetall(key)
    if not fields:
        return False
    session = decode(fields)  # noqa: F821
    session.update(changes)
    user_id = session.pop("user_id")
    with r.pipeline(transaction=True) as p:
        p.hset(key, mapping={**{k: json.dumps(v) for k, v in session.items()}, "user_id": user_id})
        p.expire(key, idle_ttl_s)
        p.execute()
    return True
