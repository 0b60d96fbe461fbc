"""Mistake: a poison event is copied to {stream}:dead but not acknowledged, so it stays pending and is dead-lettered again and again.

Caught by: test_poison_events_end_in_the_dead_stream_and_are_acknowledged
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "09_streams/streams.py")


def _dead_letter(r, stream, group, entry_id, fields):
    r.xadd(f"{stream}:dead", {**fields, "origin": entry_id})
