"""Mistake: recover pops each job off processing (RPOP) and pushes it onto its queue (LPUSH) in two commands: a crash in between loses the job.

Caught by: test_a_worker_that_dies_between_any_two_steps_loses_no_job
"""

import json

from dojo.authoring.mutants import inherit

inherit(globals(), "04_job_queue/job_queue.py")


def recover(r, name):
    moved = 0
    while (raw := r.rpop(_key(name, "processing"))) is not None:  # noqa: F821 - from the reference
        r.rpush(_key(name, json.loads(raw)["priority"]), raw)  # noqa: F821
        moved += 1
    return moved
