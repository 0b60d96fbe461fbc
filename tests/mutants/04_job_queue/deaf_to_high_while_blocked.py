"""Mistake: with nothing waiting, the worker blocks on the normal list for its whole timeout, deaf to a high job that arrives meanwhile.

Caught by: test_a_high_job_that_arrives_while_the_worker_waits_is_taken_at_once
"""

import time

from dojo.authoring.mutants import inherit

inherit(globals(), "04_job_queue/job_queue.py")


def _take(r, name, timeout_s):
    high, normal, processing = _key(name, "high"), _key(name, "normal"), _key(name, "processing")  # noqa: F821
    deadline = time.monotonic() + timeout_s
    raw = r.lmove(high, processing, "RIGHT", "LEFT")
    if raw is not None:
        return raw
    # One long block on the normal list: a high job that arrives now waits until it ends.
    raw = r.blmove(normal, processing, max(deadline - time.monotonic(), 0.01), "RIGHT", "LEFT")
    if raw is not None:
        return raw
    return r.lmove(high, processing, "RIGHT", "LEFT")
