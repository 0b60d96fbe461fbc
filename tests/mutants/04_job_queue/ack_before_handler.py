"""Mistake: the job is removed from the processing list as soon as it is taken, before the handler runs: a crash mid-job loses it.

Caught by: test_a_job_survives_a_worker_crash_and_is_done_after_recover
"""

import json

from dojo.authoring.mutants import inherit

inherit(globals(), "04_job_queue/job_queue.py")


def work_one(r, name, handler, timeout_s=1.0, max_attempts=3):
    raw = _take(r, name, timeout_s)  # noqa: F821
    if raw is None:
        return None
    job = json.loads(raw)
    r.lrem(_key(name, "processing"), 1, raw)  # "got it" — too early  # noqa: F821
    try:
        handler(job["payload"])
    except Exception:
        job["attempts"] += 1
        target = _key(name, "dead") if job["attempts"] >= max_attempts else _key(name, job["priority"])  # noqa: F821
        r.lpush(target, json.dumps(job))
    return job["id"]
