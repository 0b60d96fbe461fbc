"""Mistake: only the exact text "FOR UPDATE" counts as a locking read; FOR SHARE, lower case or other spacing reach the replica.

Caught by: test_every_kind_of_row_lock_goes_to_the_primary
"""

import re

from dojo.authoring.mutants import inherit

inherit(globals(), "17_read_replicas/read_replicas.py")

LOCKING = re.compile(r"FOR UPDATE")
