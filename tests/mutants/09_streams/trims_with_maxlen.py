"""Mistake: append caps the stream with MAXLEN ~ 1000 "to save memory", deleting the oldest events of the history.

Caught by: test_the_stream_is_never_trimmed
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "09_streams/streams.py")


def append(r, stream, event):
    return r.xadd(stream, _encode(event), maxlen=1000, approximate=True)  # noqa: F821
