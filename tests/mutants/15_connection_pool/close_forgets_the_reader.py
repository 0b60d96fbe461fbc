"""Mistake: close() closes only the writer pool; the reader's connections and threads live on.

Caught by: test_close_closes_both_pools_and_their_server_sessions, test_with_pools_closes_both_at_the_end_also_after_an_error
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "15_connection_pool/connection_pool.py")


def _close(self):
    self.writer.close()


Pools.close = _close  # noqa: F821 - from the reference
