"""Mistake: release compares the token with GET, then deletes with DEL: the lock can change hands in between.

Caught by: test_release_checks_and_deletes_in_one_atomic_step
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "03_lock/lock.py")


def release(r, name, token):
    if r.get(name) != token:
        return False
    return bool(r.delete(name))
