"""Mistake: an entry is acknowledged as soon as it is read, before its handler ran: a crash loses it.

Caught by: test_a_crashed_consumers_events_are_recovered_by_another_none_lost, test_an_event_whose_handler_raises_stays_pending
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "09_streams/streams.py")


def _handle(r, stream, group, entry_id, fields, handler):
    r.xack(stream, group, entry_id)  # "got it" — but the work is not done yet
    try:
        handler(_decode(fields))  # noqa: F821 - from the reference
    except Exception:
        return False
    return True
