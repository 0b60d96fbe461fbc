"""Mistake: jobs are taken from the same end they are pushed to (LPUSH + LMOVE LEFT): a stack, newest first, not a queue.

Caught by: test_jobs_of_one_priority_are_taken_in_fifo_order
"""

import time

from dojo.authoring.mutants import inherit

inherit(globals(), "04_job_queue/job_queue.py")


def _take(r, name, timeout_s):
    high, normal, processing = _key(name, "high"), _key(name, "normal"), _key(name, "processing")  # noqa: F821
    deadline = time.monotonic() + timeout_s
    while True:
        raw = r.lmove(high, processing, "LEFT", "LEFT")
        if raw is not None:
            return raw
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        raw = r.blmove(normal, processing, max(min(left, 0.1), 0.01), "LEFT", "LEFT")
        if raw is not None:
            return raw
