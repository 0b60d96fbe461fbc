"""A second, differently written cache-aside: WATCH on a version key instead of a lease."""

from __future__ import annotations

import json
import random
import time
import uuid

import redis

MISSING = {"__missing__": True}


def _encode(value):
    return json.dumps(MISSING if value is None else value, separators=(",", ":"))


def _decode(raw):
    value = json.loads(raw)
    return None if value == MISSING else value


def _ttl_ms(value, ttl_s):
    if value is None:
        return max(1, int(1000 * min(ttl_s, 30)))
    return max(1, int(1000 * ttl_s * random.uniform(0.8, 1.0)))  # jitter: entries don't expire together


def _fill_unless_updated(p, key, value, ttl_s):
    """p is WATCHing the version key; an update since then makes EXEC fail."""
    try:
        p.multi()
        p.set(key, _encode(value), px=_ttl_ms(value, ttl_s))
        p.execute()
    except redis.WatchError:
        pass


def get_product(r, product_id, load, ttl_s=300):
    key, version = f"product:{product_id}", f"product:{product_id}:version"
    raw = r.get(key)
    if raw is not None:
        return _decode(raw)
    with r.pipeline() as p:
        p.watch(version)  # before the load: an update committed after this makes our fill fail
        value = load(product_id)
        _fill_unless_updated(p, key, value, ttl_s)
        return value


def update_product(r, product_id, changes, save):
    save(product_id, changes)
    with r.pipeline(transaction=True) as p:
        p.incr(f"product:{product_id}:version")
        p.delete(f"product:{product_id}")
        p.execute()


def _unlock(r, lock, token):
    with r.pipeline() as p:
        try:
            p.watch(lock)
            if p.get(lock) == token:
                p.multi()
                p.delete(lock)
                p.execute()
        except redis.WatchError:
            pass


def get_product_protected(r, product_id, load, ttl_s=300, wait_s=5.0):
    key, version = f"product:{product_id}", f"product:{product_id}:version"
    lock = f"lock:product:{product_id}"
    give_up = time.monotonic() + wait_s
    while True:
        raw = r.get(key)
        if raw is not None:
            return _decode(raw)
        with r.pipeline() as p:
            p.watch(version)
            token = uuid.uuid4().hex
            if r.set(lock, token, nx=True, px=8000):
                try:
                    raw = p.get(key)
                    if raw is not None:
                        return _decode(raw)
                    value = load(product_id)
                    _fill_unless_updated(p, key, value, ttl_s)
                    return value
                finally:
                    _unlock(r, lock, token)
        if time.monotonic() >= give_up:
            raise TimeoutError(f"product {product_id}: still loading after {wait_s} s")
        time.sleep(0.02)
