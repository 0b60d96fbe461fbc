"""Mistake: locked() releases after the block but not in a finally, so an exception leaves the lock held.

Caught by: test_locked_releases_the_lock_when_the_block_raises
"""

import time
from contextlib import contextmanager

from dojo.authoring.mutants import inherit

inherit(globals(), "03_lock/lock.py")


@contextmanager
def locked(r, name, ttl_ms=10_000, wait_s=5.0):
    deadline = time.monotonic() + wait_s
    while (token := acquire(r, name, ttl_ms)) is None:  # noqa: F821 - from the reference
        if time.monotonic() > deadline:
            raise LockNotAcquired(name)  # noqa: F821
        time.sleep(0.01)
    yield token
    release(r, name, token)  # noqa: F821
