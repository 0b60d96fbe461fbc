"""Mistake: the product is cached as a Redis hash of strings instead of JSON, so numbers, lists and None come back as text.

Caught by: test_a_cached_product_keeps_its_types
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "01_cache/cache.py")


def get_product(r, product_id, load, ttl_s=300):
    key = f"product:{product_id}"
    cached = r.hgetall(key)
    if cached:
        return cached
    value = load(product_id)
    if value is not None:
        r.hset(key, mapping={k: str(v) for k, v in value.items()})
        r.expire(key, ttl_s)
    return value
