"""Mistake: the worker looks at the normal queue first, so high-priority jobs wait behind normal ones.

Caught by: test_high_priority_jobs_are_taken_before_normal_ones
"""

import time

from dojo.authoring.mutants import inherit

inherit(globals(), "04_job_queue/job_queue.py")


def _take(r, name, timeout_s):
    high, normal, processing = _key(name, "high"), _key(name, "normal"), _key(name, "processing")  # noqa: F821
    deadline = time.monotonic() + timeout_s
    while True:
        raw = r.lmove(normal, processing, "RIGHT", "LEFT")
        if raw is not None:
            return raw
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        raw = r.blmove(high, processing, max(min(left, 0.1), 0.01), "RIGHT", "LEFT")
        if raw is not None:
            return raw
