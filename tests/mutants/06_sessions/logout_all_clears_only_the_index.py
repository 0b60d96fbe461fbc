"""Mistake: destroy_all_sessions deletes the index set but not the session hashes, so every device stays logged in.

Caught by: test_logout_everywhere_leaves_nothing_behind
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "06_sessions/sessions.py")


def destroy_all_sessions(r, user_id):
    count = len(list_sessions(r, user_id))  # noqa: F821 - from the reference
    r.delete(index_key(user_id))  # noqa: F821
    return count
