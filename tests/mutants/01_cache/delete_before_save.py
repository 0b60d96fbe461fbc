"""Mistake: update_product deletes the cache entry BEFORE saving, so a reader refills it with the old row.

Caught by: test_a_read_while_the_save_is_in_flight_leaves_no_stale_entry
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "01_cache/cache.py")


def update_product(r, product_id, changes, save):
    r.delete(_key(product_id), _lease_key(product_id))  # noqa: F821 - from the reference
    save(product_id, changes)
