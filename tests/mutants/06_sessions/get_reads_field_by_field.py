"""Mistake: get_session lists the hash's fields, then reads each with its own HGET: one round trip per field, so a rich session reads slowly.

Caught by: test_session_reads_and_updates_cost_no_more_round_trips_with_more_fields
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "06_sessions/sessions.py")


def get_session(r, sid, idle_ttl_s=1800):
    key = session_key(sid)  # noqa: F821 - from the reference
    names = r.hkeys(key)
    if not names:
        return None
    fields = {name: r.hget(key, name) for name in names}
    r.expire(key, idle_ttl_s)
    with r.pipeline(transaction=True) as p:
        keep_index_alive(p, fields["user_id"], idle_ttl_s)  # noqa: F821
        p.execute()
    return decode(fields)  # noqa: F821
