"""Mistake: the dimension's key holds only its value, so country=NL and language=NL share one count.

Caught by: test_dimensions_and_values_are_counted_separately
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "10_hyperloglog/hyperloglog.py")


def dim_key(day, dim, value):
    return f"hll:dim:{value}:{day.isoformat()}"
