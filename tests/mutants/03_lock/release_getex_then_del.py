"""Mistake: release checks the token with GETEX (not GET), then deletes with DEL: still a check and an act in two steps.

Caught by: test_release_checks_and_deletes_in_one_atomic_step
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "03_lock/lock.py")


def release(r, name, token):
    if r.getex(name) != token:
        return False
    return bool(r.delete(name))
