"""Mistake: recover retries every idle entry forever: a poison event is redelivered without end, never dead-lettered.

Caught by: test_poison_events_end_in_the_dead_stream_and_are_acknowledged
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "09_streams/streams.py")


def recover(r, stream, group, consumer, min_idle_ms, handler, max_deliveries=3):
    handled = 0
    cursor = "0-0"
    while True:
        reply = r.xautoclaim(stream, group, consumer, min_idle_ms, cursor, count=100)
        cursor, claimed = reply[0], reply[1]
        for entry_id, fields in claimed:
            handled += _handle(r, stream, group, entry_id, fields, handler)  # noqa: F821
        if cursor == "0-0":
            return handled
