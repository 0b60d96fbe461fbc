"""Mistake: replay starts each page AT the previous page's last id (XRANGE is inclusive), folding that event twice.

Caught by: test_replay_pages_have_no_duplicates_and_no_gaps
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "09_streams/streams.py")


def replay(r, stream, apply, initial, until_id=None, page_size=100):
    state = initial
    start, end = "-", until_id or "+"
    while True:
        page = r.xrange(stream, start, end, count=page_size)
        for _entry_id, fields in page:
            state = apply(state, _decode(fields))  # noqa: F821
        if len(page) < page_size:
            return state
        start = page[-1][0]
