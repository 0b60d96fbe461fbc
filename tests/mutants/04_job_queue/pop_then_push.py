"""Mistake: the worker takes the job with BRPOP (high, normal) and then LPUSHes it into processing: a crash in between loses it.

Caught by: test_a_crash_right_after_the_take_loses_nothing
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "04_job_queue/job_queue.py")


def _take(r, name, timeout_s):
    # BRPOP blocks on both lists and honours their order, which makes this look right...
    popped = r.brpop([_key(name, "high"), _key(name, "normal")], timeout=timeout_s)  # noqa: F821
    if popped is None:
        return None
    raw = popped[1]
    # ...but until this second command the job exists only in this process's memory.
    r.lpush(_key(name, "processing"), raw)  # noqa: F821
    return raw
