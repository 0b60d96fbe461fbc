"""Kata 01 — cache-aside: Redis in front of a slow database query.

Fill in every function below; `pytest katas/01_cache` tells you what is missing.
`r` is a redis.Redis client created with decode_responses=True (replies are str).
`load` and `save` are given by the caller; they talk to the database (PostgreSQL in the tests).
"""

from __future__ import annotations

from collections.abc import Callable


def get_product(r, product_id: int, load: Callable[[int], dict | None], ttl_s: int = 300) -> dict | None:
    """Return product `product_id`, from the cache when it is there, else from `load(product_id)`.

    Cache-aside: look in Redis first; on a miss call the slow source `load(product_id)` (a dict,
    or None when the product does not exist) and store the answer as JSON at the key
    `product:{product_id}` with an expiry of at most `ttl_s` seconds. A product that does not
    exist is cached too (negative caching, for at most 60 s), so repeated misses for it do not
    reach the source.
    """
    raise NotImplementedError


def update_product(r, product_id: int, changes: dict, save: Callable[[int, dict], None]) -> None:
    """Apply `changes` to product `product_id` through `save(product_id, changes)`.

    `save` writes and commits to the database. Afterwards the next read of the product must see
    the new data — also when another client was reading the product while the save was in flight.
    """
    raise NotImplementedError


def get_product_protected(
    r, product_id: int, load: Callable[[int], dict | None], ttl_s: int = 300, wait_s: float = 5.0
) -> dict | None:
    """Same as get_product, with stampede protection.

    When many callers (threads or processes) miss the same product at once, only one of them
    calls `load`; the others wait for its answer in the cache, for at most about `wait_s` seconds.
    Whatever a loader writes to Redis expires by itself, even if its process dies between two
    commands (the tests kill the client right after each one): a dead loader must never make
    readers wait, or read stale data, for ever.
    """
    raise NotImplementedError
