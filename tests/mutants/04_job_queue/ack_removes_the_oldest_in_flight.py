"""Mistake: a finished job is acknowledged by popping the oldest job in processing (RPOP), not by removing this job: with several workers, the job popped may be another worker's.

Caught by: test_a_job_finished_out_of_order_acknowledges_itself_not_another
"""

import json

from dojo.authoring.mutants import inherit

inherit(globals(), "04_job_queue/job_queue.py")


def work_one(r, name, handler, timeout_s=1.0, max_attempts=3):
    raw = _take(r, name, timeout_s)  # noqa: F821 - from the reference
    if raw is None:
        return None
    job = json.loads(raw)
    try:
        handler(job["payload"])
    except Exception:
        _failed(r, name, raw, job, max_attempts)  # noqa: F821
        return job["id"]
    # "The job taken first is finished first" — true for one worker, not for several.
    r.rpop(_key(name, "processing"))  # noqa: F821
    return job["id"]
