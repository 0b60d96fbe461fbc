"""Mistake: recover calls XAUTOCLAIM once and ignores the cursor it returns, leaving idle entries beyond the first batch.

Caught by: test_recover_takes_over_every_idle_entry
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "09_streams/streams.py")


def recover(r, stream, group, consumer, min_idle_ms, handler, max_deliveries=3):
    handled = 0
    claimed = r.xautoclaim(stream, group, consumer, min_idle_ms, "0-0")[1]
    counts = _delivery_counts(r, stream, group, [entry_id for entry_id, _ in claimed]) if claimed else {}  # noqa: F821
    for entry_id, fields in claimed:
        if counts.get(entry_id, 0) > max_deliveries:
            _dead_letter(r, stream, group, entry_id, fields)  # noqa: F821
        else:
            handled += _handle(r, stream, group, entry_id, fields, handler)  # noqa: F821
    return handled
