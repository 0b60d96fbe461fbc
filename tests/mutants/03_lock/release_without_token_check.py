"""Mistake: release deletes the key without checking that the caller still owns it.

Caught by: test_an_expired_holder_cannot_release_the_new_owners_lock
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "03_lock/lock.py")


def release(r, name, token):
    return bool(r.delete(name))
