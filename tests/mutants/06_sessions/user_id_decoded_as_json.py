"""Mistake: the hash is decoded by running json.loads on every field, user_id included: user "1001" comes back as the int 1001.

Caught by: test_json_values_of_every_type_round_trip
"""

import json

from dojo.authoring.mutants import inherit

inherit(globals(), "06_sessions/sessions.py")


def decode(fields):
    out = {}
    for k, v in fields.items():
        try:
            out[k] = json.loads(v)
        except ValueError:
            out[k] = v
    return out
