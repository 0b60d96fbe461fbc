"""Mistake: destroy_all_sessions reads the ids, then deletes them and the index without WATCH: a login in between is orphaned.

Caught by: test_a_session_created_during_logout_everywhere_is_not_orphaned
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "06_sessions/sessions.py")


def destroy_all_sessions(r, user_id):
    sids = r.smembers(index_key(user_id))  # noqa: F821 - from the reference
    with r.pipeline(transaction=True) as p:
        p.delete(*(session_key(s) for s in sids), index_key(user_id))  # noqa: F821
        (deleted,) = p.execute()
    return deleted - 1 if sids else 0
