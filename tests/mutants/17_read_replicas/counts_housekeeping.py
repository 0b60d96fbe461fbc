"""Mistake: counts include the router's own WAL-position queries, so they no longer say where the caller's statements went.

Caught by: test_a_write_runs_on_the_primary_and_is_committed, test_counts_are_a_snapshot_of_the_callers_statements
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "17_read_replicas/read_replicas.py")

_Reference = Router  # noqa: F821 - from the reference


class Router(_Reference):
    def _primary_lsn(self):
        with self._lock:
            self._counts["primary"] += 1
        return super()._primary_lsn()

    def write(self, sql, params=(), session=None):
        with self._lock:
            self._counts["primary"] += 1  # the position query after the write
        return super().write(sql, params, session)
