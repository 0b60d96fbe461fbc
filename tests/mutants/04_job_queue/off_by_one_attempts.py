"""Mistake: the attempts check is off by one (> instead of >=), so a poison job gets max_attempts + 1 tries.

Caught by: test_a_poison_job_goes_to_the_dead_letters_after_max_attempts
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
        target = _key(name, "dead") if job["attempts"] > max_attempts else _key(name, job["priority"])  # noqa: F821
        with r.pipeline(transaction=True) as tx:
            tx.lrem(processing, 1, raw)
            tx.lpush(target, json.dumps(job))
            tx.execute()
        return job["id"]
    r.lrem(processing, 1, raw)
    return job["id"]
