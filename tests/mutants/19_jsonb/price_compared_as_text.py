"""Mistake: doc->>'price' is compared as text, so '9' > '10'.

Caught by: test_find_price_above_compares_prices_as_numbers_so_9_is_below_10
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "19_jsonb/jsonb.py")


def find_price_above(conn, amount):
    rows = conn.execute("SELECT id FROM products WHERE doc->>'price' > %s ORDER BY id", (str(amount),))
    return [product_id for (product_id,) in rows]
