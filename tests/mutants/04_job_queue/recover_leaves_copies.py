"""Mistake: recover pushes copies of the crashed jobs back onto their queues but leaves them in processing, so they are enqueued again later.

Caught by: test_recover_moves_every_crashed_job_back_exactly_once
"""

import json

from dojo.authoring.mutants import inherit

inherit(globals(), "04_job_queue/job_queue.py")


def recover(r, name):
    jobs = r.lrange(_key(name, "processing"), 0, -1)  # noqa: F821
    for raw in reversed(jobs):
        r.rpush(_key(name, json.loads(raw)["priority"]), raw)  # noqa: F821
    return len(jobs)
