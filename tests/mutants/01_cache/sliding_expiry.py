"""Mistake: every hit pushes the expiry back (GETEX), so a popular entry never expires and never heals.

Caught by: test_a_hit_does_not_extend_the_entrys_life
"""

import json

from dojo.authoring.mutants import inherit

inherit(globals(), "01_cache/cache.py")


def _cached(r, product_id):
    raw = r.getex(_key(product_id), ex=300)  # noqa: F821 - from the reference; "keep hot entries alive"
    return _MISS if raw is None else json.loads(raw)  # noqa: F821
