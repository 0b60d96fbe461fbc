"""Mistake: pool_size forgets the spindles: cores × 2.

Caught by: test_pool_size_is_cores_times_two_plus_spindles
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "15_connection_pool/connection_pool.py")


def pool_size(cores, spindles=1):
    return cores * 2
