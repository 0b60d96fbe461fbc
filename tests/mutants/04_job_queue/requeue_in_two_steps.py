"""Mistake: a failed job leaves processing (LREM) and goes back on its queue (LPUSH) in two separate commands: a crash in between loses it.

Caught by: test_a_crash_while_requeueing_a_failed_job_loses_nothing, test_a_crash_while_dead_lettering_a_job_loses_nothing
"""

import json

from dojo.mutants import inherit

inherit(globals(), "04_job_queue/job_queue.py")


def work_one(r, name, handler, timeout_s=1.0, max_attempts=3):
    raw = _take(r, name, timeout_s)  # noqa: F821
    if raw is None:
        return None
    job = json.loads(raw)
    processing = _key(name, "processing")  # noqa: F821
    try:
        handler(job["payload"])
    except Exception:
        job["attempts"] += 1
        target = _key(name, "dead") if job["attempts"] >= max_attempts else _key(name, job["priority"])  # noqa: F821
        r.lrem(processing, 1, raw)
        r.lpush(target, json.dumps(job))
        return job["id"]
    r.lrem(processing, 1, raw)
    return job["id"]
