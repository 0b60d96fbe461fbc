"""Mistake: replay reads the whole stream with one XRANGE - + (ignoring page_size), loading all history into memory at once.

Caught by: test_replay_reads_one_page_per_round_trip
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "09_streams/streams.py")


def replay(r, stream, apply, initial, until_id=None, page_size=100):
    state = initial
    for _entry_id, fields in r.xrange(stream, "-", until_id or "+"):
        state = apply(state, _decode(fields))  # noqa: F821
    return state
