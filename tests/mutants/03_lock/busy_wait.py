"""Mistake: locked() retries acquire in a tight loop with no pause, hammering Redis while it waits.

Caught by: test_a_waiting_client_backs_off_instead_of_spinning
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
    try:
        yield token
    finally:
        release(r, name, token)  # noqa: F821
