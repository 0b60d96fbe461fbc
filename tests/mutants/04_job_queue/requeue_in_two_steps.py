"""Mistake: a failed job leaves processing (LREM) and goes back on its queue (LPUSH) in two separate commands: a crash in between loses it.

Caught by: test_a_crash_while_requeueing_a_failed_job_loses_nothing, test_a_crash_while_dead_lettering_a_job_loses_nothing
"""

import json

from dojo.authoring.mutants import inherit

inherit(globals(), "04_job_queue/job_queue.py")


def _failed(r, name, raw, job, max_attempts):
    job["attempts"] += 1
    target = _key(name, "dead") if job["attempts"] >= max_attempts else _key(name, job["priority"])  # noqa: F821
    r.lrem(_key(name, "processing"), 1, raw)  # noqa: F821
    r.lpush(target, json.dumps(job))
