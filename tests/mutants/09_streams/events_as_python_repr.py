"""Mistake: events are stored as repr(event) and parsed back with ast.literal_eval: they round-trip, but parsing Python source is many times slower than json.loads, and replay crawls.

Caught by: test_replay_from_a_stream_against_a_postgresql_event_log
"""

import ast

from dojo.authoring.mutants import inherit

inherit(globals(), "09_streams/streams.py")


def _encode(event):
    return {FIELD: repr(event)}  # noqa: F821 - from the reference


def _decode(fields):
    return ast.literal_eval(fields[FIELD])  # noqa: F821
