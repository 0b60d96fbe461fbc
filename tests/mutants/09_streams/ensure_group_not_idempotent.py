"""Mistake: ensure_group calls XGROUP CREATE unguarded, so the second service to start fails with BUSYGROUP.

Caught by: test_ensure_group_is_idempotent
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "09_streams/streams.py")


def ensure_group(r, stream, group):
    r.xgroup_create(stream, group, id="0", mkstream=True)
