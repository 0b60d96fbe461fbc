"""Mistake: data values are stored with str() instead of JSON, so numbers, booleans, lists and null come back as strings.

Caught by: test_json_values_of_every_type_round_trip
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "06_sessions/sessions.py")

_create_session = create_session  # noqa: F821 - from the reference
_update_session = update_session  # noqa: F821


def _as_json_strings(data):
    # json.dumps of a str keeps what str() made, so the reference's decode returns str(value).
    return {k: str(v) for k, v in data.items()}


def create_session(r, user_id, data, idle_ttl_s=1800):
    return _create_session(r, user_id, _as_json_strings(data), idle_ttl_s)


def update_session(r, sid, changes, idle_ttl_s=1800):
    return _update_session(r, sid, _as_json_strings(changes), idle_ttl_s)
