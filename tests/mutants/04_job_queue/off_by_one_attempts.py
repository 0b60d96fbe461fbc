"""Mistake: the attempts check is off by one (> instead of >=), so a poison job gets max_attempts + 1 tries.

Caught by: test_a_poison_job_goes_to_the_dead_letters_after_max_attempts
"""

import json

from dojo.authoring.mutants import inherit

inherit(globals(), "04_job_queue/job_queue.py")


def _failed(r, name, raw, job, max_attempts):
    job["attempts"] += 1
    target = _key(name, "dead") if job["attempts"] > max_attempts else _key(name, job["priority"])  # noqa: F821
    with r.pipeline(transaction=True) as tx:
        tx.lrem(_key(name, "processing"), 1, raw)  # noqa: F821
        tx.lpush(target, json.dumps(job))
        tx.execute()
