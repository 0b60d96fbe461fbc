"""Mistake: every worker reads under the same consumer name, so one re-reads (and re-handles) entries another is still working on.

Caught by: test_consumers_in_one_group_share_the_work_each_event_handled_once
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "09_streams/streams.py")

_reference_consume = consume  # noqa: F821 - from the reference


def consume(r, stream, group, consumer, handler, count=10, block_ms=100):
    return _reference_consume(r, stream, group, "worker", handler, count, block_ms)
