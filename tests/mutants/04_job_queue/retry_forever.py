"""Mistake: a failed job always goes back on its queue: no dead-letter list, so a poison job is retried forever.

Caught by: test_a_poison_job_goes_to_the_dead_letters_after_max_attempts
"""

import json

from dojo.authoring.mutants import inherit

inherit(globals(), "04_job_queue/job_queue.py")


def _failed(r, name, raw, job, max_attempts):
    job["attempts"] += 1
    with r.pipeline(transaction=True) as tx:
        tx.lrem(_key(name, "processing"), 1, raw)  # noqa: F821
        tx.lpush(_key(name, job["priority"]), json.dumps(job))  # noqa: F821
        tx.execute()
