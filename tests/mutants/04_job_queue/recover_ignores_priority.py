"""Mistake: recover moves every crashed job onto the normal queue (RPOPLPUSH in a loop), so a recovered high job loses its priority.

Caught by: test_recover_puts_a_job_back_on_its_own_priority
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "04_job_queue/job_queue.py")


def recover(r, name):
    moved = 0
    while r.rpoplpush(_key(name, "processing"), _key(name, "normal")) is not None:  # noqa: F821
        moved += 1
    return moved
