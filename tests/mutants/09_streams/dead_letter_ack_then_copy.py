"""Mistake: a poison event is acknowledged first and copied to {stream}:dead in a second command: a consumer that dies in between loses it for good.

Caught by: test_a_consumer_that_dies_between_any_two_steps_loses_no_event
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "09_streams/streams.py")


def _dead_letter(r, stream, group, entry_id, fields):
    r.xack(stream, group, entry_id)  # no longer pending...
    r.xadd(f"{stream}:dead", {**fields, "origin": entry_id})  # ...and not yet dead-lettered
