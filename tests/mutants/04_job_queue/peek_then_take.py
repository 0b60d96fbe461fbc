"""Mistake: the worker peeks at the next job (LINDEX), then removes it and pushes it into processing: two workers can take the same job.

Caught by: test_200_jobs_are_done_exactly_once_by_4_workers
"""

import time

from dojo.authoring.mutants import inherit

inherit(globals(), "04_job_queue/job_queue.py")


def _take(r, name, timeout_s):
    deadline = time.monotonic() + timeout_s
    while True:
        for priority in ("high", "normal"):
            queue = _key(name, priority)  # noqa: F821
            raw = r.lindex(queue, -1)
            if raw is not None:
                r.lrem(queue, -1, raw)
                r.lpush(_key(name, "processing"), raw)  # noqa: F821
                return raw
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.01)
