"""Kata 03 — a distributed lock on one Redis key (reference solution)."""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager

# Compare-and-delete / compare-and-expire must be one atomic step: between a GET and a DEL
# the lock can expire and be taken by someone else, whose lock we would then delete.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


class LockNotAcquired(Exception):
    """Raised by `locked` when the lock could not be taken within `wait_s`."""


def acquire(r, name: str, ttl_ms: int) -> str | None:
    token = secrets.token_hex(16)
    # SET NX PX: check, take and set the expiry in one command.
    return token if r.set(name, token, nx=True, px=ttl_ms) else None


def release(r, name: str, token: str) -> bool:
    return bool(r.eval(RELEASE, 1, name, token))


def extend(r, name: str, token: str, ttl_ms: int) -> bool:
    return bool(r.eval(EXTEND, 1, name, token, ttl_ms))


@contextmanager
def locked(r, name: str, ttl_ms: int = 10_000, wait_s: float = 5.0) -> Iterator[str]:
    deadline = time.monotonic() + wait_s
    pause = 0.002
    while (token := acquire(r, name, ttl_ms)) is None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise LockNotAcquired(f"{name} still held after {wait_s} s")
        # Exponential backoff with jitter: waiters do not stampede the server in lockstep.
        time.sleep(min(left, random.uniform(pause / 2, pause)))
        pause = min(pause * 2, 0.1)
    try:
        yield token
    finally:
        release(r, name, token)


def buy(r, sku: str, quantity: int = 1) -> bool:
    with locked(r, f"lock:{sku}"):
        stock = int(r.get(f"stock:{sku}") or 0)
        if stock < quantity:
            return False
        r.decrby(f"stock:{sku}", quantity)
        return True
