"""Mistake: create_session writes the session (with its TTL) in one transaction and adds it to the user's index in another: a server that dies in between leaves a live session no logout-everywhere can reach.

Caught by: test_a_server_that_dies_between_any_two_steps_leaves_no_key_without_expiry
"""

import json
import secrets

from dojo.authoring.mutants import inherit

inherit(globals(), "06_sessions/sessions.py")


def create_session(r, user_id, data, idle_ttl_s=1800):
    sid = secrets.token_urlsafe(32)
    fields = {k: json.dumps(v) for k, v in data.items()}
    fields["user_id"] = user_id
    with r.pipeline(transaction=True) as p:
        p.hset(session_key(sid), mapping=fields)  # noqa: F821 - from the reference
        p.expire(session_key(sid), idle_ttl_s)  # noqa: F821
        p.execute()
    with r.pipeline(transaction=True) as p:
        p.sadd(index_key(user_id), sid)  # noqa: F821
        keep_index_alive(p, user_id, idle_ttl_s)  # noqa: F821
        p.execute()
    return sid
