"""Mistake: consume acknowledges the whole batch after its last handler returned: a crash mid-batch re-delivers the events already handled, and they are handled twice.

Caught by: test_a_crashed_consumers_events_are_recovered_by_another_none_lost
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "09_streams/streams.py")


def _batch(r, stream, group, handler, entries):
    handled, done = 0, []
    for entry_id, fields in entries:
        try:
            handler(_decode(fields))  # noqa: F821 - from the reference
        except Exception:
            continue
        handled += 1
        done.append(entry_id)
    if done:
        r.xack(stream, group, *done)  # all at once, after the last handler
    return handled


def consume(r, stream, group, consumer, handler, count=10, block_ms=100):
    mine = _read(r, stream, group, consumer, "0", count, None)  # noqa: F821
    handled = _batch(r, stream, group, handler, mine)
    block = None if mine or not block_ms else block_ms
    return handled + _batch(r, stream, group, handler, _read(r, stream, group, consumer, ">", count, block))  # noqa: F821
