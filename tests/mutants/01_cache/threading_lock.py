"""Mistake: stampede protection with a threading.Lock, which protects one process, not every app server.

Caught by: test_20_concurrent_cold_readers_cause_exactly_one_load
"""

import threading
from collections import defaultdict

from dojo.authoring.mutants import inherit

inherit(globals(), "01_cache/cache.py")
_locks = defaultdict(threading.Lock)


def get_product_protected(r, product_id, load, ttl_s=300, wait_s=5.0):
    with _locks[product_id]:
        return get_product(r, product_id, load, ttl_s)  # noqa: F821 - from the reference
