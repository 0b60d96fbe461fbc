"""Mistake: the router keeps one last-write position for everybody, so one user's write sends every user's reads to the primary.

Caught by: test_concurrent_sessions_see_their_own_writes_and_only_writers_use_the_primary
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "17_read_replicas/read_replicas.py")

_Reference = Router  # noqa: F821 - from the reference


class Router(_Reference):
    _everyone = Session()  # noqa: F821 - from the reference

    def write(self, sql, params=(), session=None):
        return super().write(sql, params, self._everyone if session is not None else None)

    def read(self, sql, params=(), session=None):
        return super().read(sql, params, self._everyone if session is not None else None)
