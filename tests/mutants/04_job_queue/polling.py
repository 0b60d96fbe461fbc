"""Mistake: an idle worker polls the lists in a loop with a short sleep instead of blocking on the server.

Caught by: test_an_idle_worker_blocks_instead_of_polling
"""

import time

from dojo.authoring.mutants import inherit

inherit(globals(), "04_job_queue/job_queue.py")


def _take(r, name, timeout_s):
    deadline = time.monotonic() + timeout_s
    while True:
        for priority in ("high", "normal"):
            raw = r.lmove(_key(name, priority), _key(name, "processing"), "RIGHT", "LEFT")  # noqa: F821
            if raw is not None:
                return raw
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.01)
