"""Mistake: the reset hook runs RESET ALL, which leaves a request's SET ROLE in place for the next request.

Caught by: test_a_setting_made_by_one_request_is_not_seen_by_the_next
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "15_connection_pool/connection_pool.py")


def _forget_the_session(conn):
    conn.execute("RESET ALL")
