"""Kata 01 — cache-aside in front of a slow database query (reference solution)."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from typing import Any

NEGATIVE_TTL_S = 60  # "no such product" is remembered for at most a minute
LEASE_MS = 10_000  # how long one loader may hold the right to fill a key (if it dies, it frees itself)
_MISS = object()  # "nothing cached", as opposed to a cached None ("no such product")

# Fill the cache only while our lease is still there. update_product deletes the lease after the
# database commit, so a loader that read the row *before* the update can no longer write its old
# copy *after* the invalidation (the stale-set race of plain "delete on write").
FILL = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('DEL', KEYS[2])
return 1
"""
# Give a lease back (a load failed), but only our own.
DROP = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def _key(product_id: int) -> str:
    return f"product:{product_id}"


def _lease_key(product_id: int) -> str:
    return f"product:{product_id}:lease"


def _cached(r, product_id: int) -> Any:
    raw = r.get(_key(product_id))
    # JSON "null" is a cached miss; a missing key is _MISS.
    return _MISS if raw is None else json.loads(raw)


def _take_lease(r, product_id: int) -> str | None:
    """One attempt to become the loader of this key; the lease expires on its own."""
    token = secrets.token_hex(16)
    return token if r.set(_lease_key(product_id), token, nx=True, px=LEASE_MS) else None


def _fill(r, product_id: int, token: str, value: dict | None, ttl_s: float) -> None:
    # Every entry expires: a forgotten invalidation heals itself within ttl_s. Misses live
    # shorter, so a product created later shows up soon.
    ttl_ms = int(1000 * (ttl_s if value is not None else min(ttl_s, NEGATIVE_TTL_S)))
    r.eval(FILL, 2, _key(product_id), _lease_key(product_id), token, json.dumps(value), max(ttl_ms, 1))


def _load_and_fill(r, product_id: int, load: Callable[[int], dict | None], token: str, ttl_s: float) -> dict | None:
    # Look again now that the lease is ours: the previous loader may have filled the key (and
    # freed the lease) between our miss and our SET NX. Without this, a crowd of waiters that
    # missed a moment ago reloads the product once more.
    hit = _cached(r, product_id)
    if hit is not _MISS:
        r.eval(DROP, 1, _lease_key(product_id), token)
        return hit
    try:
        value = load(product_id)
    except BaseException:
        r.eval(DROP, 1, _lease_key(product_id), token)  # a failed load must not make others wait
        raise
    _fill(r, product_id, token, value, ttl_s)
    return value


def get_product(r, product_id: int, load: Callable[[int], dict | None], ttl_s: int = 300) -> dict | None:
    hit = _cached(r, product_id)
    if hit is not _MISS:
        return hit
    # Take the lease BEFORE reading the database: an update that commits after our read
    # must be able to revoke our right to fill.
    token = _take_lease(r, product_id)
    if token is None:
        # Someone else is filling this key: serve our own copy, don't cache it.
        return load(product_id)
    return _load_and_fill(r, product_id, load, token, ttl_s)


def update_product(r, product_id: int, changes: dict, save: Callable[[int, dict], None]) -> None:
    # Commit first, then invalidate. Deleting before the save lets a reader refill the old row
    # while the save is still in flight. Deleting the lease too stops loaders already running.
    save(product_id, changes)
    r.delete(_key(product_id), _lease_key(product_id))


def get_product_protected(
    r, product_id: int, load: Callable[[int], dict | None], ttl_s: int = 300, wait_s: float = 5.0
) -> dict | None:
    deadline = time.monotonic() + wait_s
    pause = 0.005
    while True:
        hit = _cached(r, product_id)
        if hit is not _MISS:
            return hit
        # The lease doubles as the stampede lock: one key per product, shared by every process,
        # taken with one atomic SET NX PX.
        token = _take_lease(r, product_id)
        if token is not None:
            return _load_and_fill(r, product_id, load, token, ttl_s)
        left = deadline - time.monotonic()
        if left <= 0:
            # The loader is stuck or dead: answer from the source rather than fail (not cached).
            return load(product_id)
        time.sleep(min(pause, left))
        pause = min(pause * 2, 0.05)
