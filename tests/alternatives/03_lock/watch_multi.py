"""A correct lock written unlike the reference: WATCH/MULTI instead of Lua, uuid4 tokens, linear backoff."""

import time
import uuid
from contextlib import contextmanager

import redis


class LockNotAcquired(Exception):
    pass


def acquire(r, name, ttl_ms):
    token = str(uuid.uuid4())
    ok = r.set(name, token, nx=True, px=ttl_ms)
    return token if ok else None


def _guarded(r, name, token, action):
    with r.pipeline() as pipe:
        try:
            pipe.watch(name)
            if pipe.get(name) != token:
                pipe.unwatch()
                return False
            pipe.multi()
            action(pipe)
            pipe.execute()
            return True
        except redis.WatchError:
            return False


def release(r, name, token):
    return _guarded(r, name, token, lambda p: p.delete(name))


def extend(r, name, token, ttl_ms):
    return _guarded(r, name, token, lambda p: p.pexpire(name, ttl_ms))


@contextmanager
def locked(r, name, ttl_ms=10_000, wait_s=5.0):
    start = time.monotonic()
    attempt = 0
    while True:
        token = acquire(r, name, ttl_ms)
        if token:
            break
        if time.monotonic() - start >= wait_s:
            raise LockNotAcquired(name)
        attempt += 1
        time.sleep(min(0.05, 0.005 * attempt))
    try:
        yield token
    finally:
        release(r, name, token)


def buy(r, sku, quantity=1):
    key = f"stock:{sku}"
    with locked(r, f"lock:{sku}"):
        left = r.get(key)
        if left is None or int(left) < quantity:
            return False
        r.set(key, int(left) - quantity)
        return True
