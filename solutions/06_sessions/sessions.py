"""Kata 06 — a session store shared by every web server, in Redis hashes (reference solution)."""

from __future__ import annotations

import json
import secrets
from typing import Any

import redis

# Check-and-write in one atomic step. "EXISTS, then HSET" has a gap: if the session expires or
# is logged out in between, HSET creates a fresh hash, without an expiry and without user_id.
UPDATE = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  return false
end
if #ARGV > 1 then
  redis.call('HSET', KEYS[1], unpack(ARGV, 2))
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return redis.call('HGET', KEYS[1], 'user_id')
"""


def session_key(sid: str) -> str:
    return f"session:{sid}"


def index_key(user_id: str) -> str:
    return f"user_sessions:{user_id}"


def decode(fields: dict[str, str]) -> dict[str, Any]:
    # user_id is stored as the plain string; every data field is JSON (so "42" stays a string).
    return {k: v if k == "user_id" else json.loads(v) for k, v in fields.items()}


def keep_index_alive(p, user_id: str, ttl_s: int) -> None:
    """Queue commands so the user's index expires no sooner than `ttl_s` from now.

    The index must outlive every session it lists (or logout-everywhere would miss one), and
    must expire itself (or it would pile up forever). `EXPIRE … GT` alone is not enough: a key
    without an expiry counts as infinite, so GT never gives it one. NX first, then GT.
    """
    p.expire(index_key(user_id), ttl_s, nx=True)
    p.expire(index_key(user_id), ttl_s, gt=True)


def create_session(r, user_id: str, data: dict[str, Any], idle_ttl_s: int = 1800) -> str:
    sid = secrets.token_urlsafe(32)  # 256 random bits
    fields = {k: json.dumps(v) for k, v in data.items()}
    fields["user_id"] = user_id
    with r.pipeline(transaction=True) as p:
        p.hset(session_key(sid), mapping=fields)
        p.expire(session_key(sid), idle_ttl_s)  # the hash is never visible without its expiry
        p.sadd(index_key(user_id), sid)
        keep_index_alive(p, user_id, idle_ttl_s)
        p.execute()
    return sid


def get_session(r, sid: str, idle_ttl_s: int = 1800) -> dict[str, Any] | None:
    with r.pipeline(transaction=True) as p:
        p.hgetall(session_key(sid))
        p.expire(session_key(sid), idle_ttl_s)  # sliding expiry; a no-op on a missing key
        fields, _ = p.execute()
    if not fields:
        return None
    with r.pipeline(transaction=True) as p:
        keep_index_alive(p, fields["user_id"], idle_ttl_s)
        p.execute()
    return decode(fields)


def update_session(r, sid: str, changes: dict[str, Any], idle_ttl_s: int = 1800) -> bool:
    # Only the changed fields are written: two servers updating the cart and the preferences
    # at the same time both keep their change (no read-merge-write of the whole session).
    args = [idle_ttl_s]
    for field, value in changes.items():
        args += [field, json.dumps(value)]
    user_id = r.eval(UPDATE, 1, session_key(sid), *args)
    if user_id is None:
        return False
    with r.pipeline(transaction=True) as p:
        keep_index_alive(p, user_id, idle_ttl_s)
        p.execute()
    return True


def destroy_session(r, sid: str) -> bool:
    user_id = r.hget(session_key(sid), "user_id")
    if user_id is None:
        return False
    with r.pipeline(transaction=True) as p:
        p.delete(session_key(sid))
        p.srem(index_key(user_id), sid)
        deleted, _ = p.execute()
    return deleted == 1


def destroy_all_sessions(r, user_id: str) -> int:
    index = index_key(user_id)
    with r.pipeline(transaction=True) as p:
        while True:
            try:
                # WATCH the index: a session created after we read it would otherwise be
                # dropped from the index while it stays alive, out of reach of any logout.
                p.watch(index)
                sids = p.smembers(index)
                p.multi()
                if sids:
                    p.delete(*(session_key(s) for s in sids))
                p.delete(index)
                results = p.execute()
                return results[0] if sids else 0
            except redis.WatchError:
                continue


def list_sessions(r, user_id: str) -> list[str]:
    sids = list(r.smembers(index_key(user_id)))
    if not sids:
        return []
    with r.pipeline(transaction=False) as p:
        for sid in sids:
            p.exists(session_key(sid))
        alive = p.execute()
    expired = [sid for sid, live in zip(sids, alive) if not live]
    if expired:
        r.srem(index_key(user_id), *expired)  # prune: an expired id never comes back
    return [sid for sid, live in zip(sids, alive) if live]
