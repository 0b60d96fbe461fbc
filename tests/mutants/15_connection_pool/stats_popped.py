"""Mistake: stats() uses pop_stats(), which resets the counters, so each call forgets the requests already served.

Caught by: test_stats_reports_each_pools_own_get_stats
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "15_connection_pool/connection_pool.py")


def _stats(self):
    return {"reader": self.reader.pop_stats(), "writer": self.writer.pop_stats()}


Pools.stats = _stats  # noqa: F821 - from the reference
