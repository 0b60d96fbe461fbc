"""Kata 03 — a distributed lock on one Redis key.

Fill in every function below; `pytest katas/03_lock` tells you what is missing.
`r` is a redis.Redis client created with decode_responses=True (replies are str).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class LockNotAcquired(Exception):
    """Raised by `locked` when the lock could not be taken within `wait_s`."""


def acquire(r, name: str, ttl_ms: int) -> str | None:
    """Try once to take the lock `name`.

    On success the key `name` holds a fresh, unguessable token and expires after `ttl_ms`
    milliseconds; return that token. If somebody else holds the lock, return None.
    The lock never exists without its expiry, not even for a moment: the tests kill the client
    right after each command it sends, and a holder that dies must never block others for ever.
    """
    raise NotImplementedError


def release(r, name: str, token: str) -> bool:
    """Free the lock, but only if `token` still owns it. Return True if it was freed.

    The check and the delete are one atomic step: the lock may expire and be taken by someone
    else right after any command you send, and their lock must survive your release.
    """
    raise NotImplementedError


def extend(r, name: str, token: str, ttl_ms: int) -> bool:
    """Push the lock's expiry to `ttl_ms` from now, only if `token` still owns it. Return True if so.

    Like `release`, check and act in one atomic step.
    """
    raise NotImplementedError


@contextmanager
def locked(r, name: str, ttl_ms: int = 10_000, wait_s: float = 5.0) -> Iterator[str]:
    """Hold the lock for the `with` block: `with locked(r, "lock:report"): ...`.

    Retry `acquire` with a growing pause until it succeeds or `wait_s` seconds have passed
    (then raise LockNotAcquired). Yield the token. Release the lock when the block ends,
    also when it raises.
    """
    raise NotImplementedError
    yield ""  # (makes this a generator; remove when you implement it)


def buy(r, sku: str, quantity: int = 1) -> bool:
    """Sell `quantity` items of `sku` if there are enough.

    The stock is an integer at key `stock:{sku}`. Under the lock `lock:{sku}`, decrement it
    and return True if at least `quantity` are left, else change nothing and return False.
    Never oversell, however many buyers arrive at once.
    """
    raise NotImplementedError
