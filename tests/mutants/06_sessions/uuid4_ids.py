"""Mistake: session ids are uuid4 strings: only 122 random bits, below the 128 the contract asks for.

Caught by: test_ids_are_unique_and_carry_at_least_128_random_bits
"""

import json
import uuid

from dojo.authoring.mutants import inherit

inherit(globals(), "06_sessions/sessions.py")


def create_session(r, user_id, data, idle_ttl_s=1800):
    sid = str(uuid.uuid4())
    fields = {k: json.dumps(v) for k, v in data.items()}
    fields["user_id"] = user_id
    with r.pipeline(transaction=True) as p:
        p.hset(session_key(sid), mapping=fields)  # noqa: F821 - from the reference
        p.expire(session_key(sid), idle_ttl_s)  # noqa: F821
        p.sadd(index_key(user_id), sid)  # noqa: F821
        keep_index_alive(p, user_id, idle_ttl_s)  # noqa: F821
        p.execute()
    return sid
