"""Mistake: recover lists idle entries with XPENDING, then claims them with XCLAIM min-idle-time 0: two recoverers both take them.

Caught by: test_two_recoverers_never_handle_the_same_entry_twice
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "09_streams/streams.py")


def recover(r, stream, group, consumer, min_idle_ms, handler, max_deliveries=3):
    handled = 0
    for entry in r.xpending_range(stream, group, "-", "+", 1000, idle=min_idle_ms):
        # The idle check happened in XPENDING; by now another consumer may have claimed it.
        for entry_id, fields in r.xclaim(stream, group, consumer, 0, [entry["message_id"]]):
            if entry["times_delivered"] + 1 > max_deliveries:
                _dead_letter(r, stream, group, entry_id, fields)  # noqa: F821
            else:
                handled += _handle(r, stream, group, entry_id, fields, handler)  # noqa: F821
    return handled
