"""Mistake: consume only ever reads new entries ('>'), so its own failed, unacknowledged entries are never retried.

Caught by: test_consume_retries_its_own_pending_entries_before_new_ones
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "09_streams/streams.py")


def consume(r, stream, group, consumer, handler, count=10, block_ms=100):
    handled = 0
    for entry_id, fields in _read(r, stream, group, consumer, ">", count, block_ms or None):  # noqa: F821
        handled += _handle(r, stream, group, entry_id, fields, handler)  # noqa: F821
    return handled
