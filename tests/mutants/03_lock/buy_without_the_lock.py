"""Mistake: buy reads the stock and decrements it without holding the lock.

Caught by: test_20_concurrent_buyers_of_5_items_sell_exactly_5
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "03_lock/lock.py")


def buy(r, sku, quantity=1):
    stock = int(r.get(f"stock:{sku}") or 0)
    if stock < quantity:
        return False
    r.decrby(f"stock:{sku}", quantity)
    return True
