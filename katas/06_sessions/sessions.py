"""Kata 06 — a session store shared by every web server, in Redis hashes.

Fill in every function below; `pytest katas/06_sessions` tells you what is missing.
`r` is a redis.Redis client created with decode_responses=True (replies are str).

Keys: a session is the hash `session:{sid}` with one field per data key (the value JSON-encoded)
plus the field `user_id`; the set `user_sessions:{user_id}` indexes a user's session ids.
No key may ever be left without an expiry, and no live session may be missing from its user's
index — not even when a server dies between two of its commands (the tests kill the client
right after each one).
"""

from __future__ import annotations

from typing import Any


def create_session(r, user_id: str, data: dict[str, Any], idle_ttl_s: int = 1800) -> str:
    """Start a session for `user_id` holding `data` (values: any JSON value) and return its id.

    The id is unguessable (at least 128 bits of randomness). The hash `session:{sid}` expires
    after `idle_ttl_s` seconds without use; the id is added to `user_sessions:{user_id}`.
    """
    raise NotImplementedError


def get_session(r, sid: str, idle_ttl_s: int = 1800) -> dict[str, Any] | None:
    """The session's data, with its "user_id", or None when it is missing or expired.

    Reading is using: the expiry slides back to `idle_ttl_s` seconds from now. A read takes as
    many round trips for a session of 60 fields as for one of 2 (the tests compare them).
    """
    raise NotImplementedError


def update_session(r, sid: str, changes: dict[str, Any], idle_ttl_s: int = 1800) -> bool:
    """Merge `changes` into the session (e.g. the cart, the preferences) and slide its expiry.

    Fields not in `changes` keep their values. On a missing or expired session, write nothing
    and return False (never bring a session back to life); else return True. Changing 30 fields
    takes no more round trips than changing one.
    """
    raise NotImplementedError


def destroy_session(r, sid: str) -> bool:
    """Log out one session: delete it and its entry in the user's index. True if it existed."""
    raise NotImplementedError


def destroy_all_sessions(r, user_id: str) -> int:
    """Log `user_id` out everywhere: delete every one of their sessions and their index.

    Return how many sessions were deleted.
    """
    raise NotImplementedError


def list_sessions(r, user_id: str) -> list[str]:
    """The ids of `user_id`'s live sessions (any order); ids of expired sessions never appear."""
    raise NotImplementedError
