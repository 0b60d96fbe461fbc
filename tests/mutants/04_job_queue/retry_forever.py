"""Mistake: a failed job always goes back on its queue: no dead-letter list, so a poison job is retried forever.

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
        with r.pipeline(transaction=True) as tx:
            tx.lrem(processing, 1, raw)
            tx.lpush(_key(name, job["priority"]), json.dumps(job))  # noqa: F821
            tx.execute()
        return job["id"]
    r.lrem(processing, 1, raw)
    return job["id"]
