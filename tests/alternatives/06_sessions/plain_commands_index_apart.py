"""Alternative session store: plain commands where no atomicity is needed, the user's index slid apart.

A read is HGETALL, then EXPIRE, then the index's two EXPIREs (NX, then GT) in a transaction of
their own: four round trips, whatever the session holds. Creating and updating a session are the
only steps that must be atomic (a hash never without its TTL or its index entry; no write into a
session logged out meanwhile): a transaction, and WATCH/MULTI.
"""

from __future__ import annotations

import json
import secrets

import redis


def _key(sid):
    return f"session:{sid}"


def _index(user_id):
    return f"user_sessions:{user_id}"


def _slide_index(r, user_id, ttl_s):
    r.expire(_index(user_id), ttl_s, nx=True)  # an index without a TTL gets one...
    with r.pipeline(transaction=True) as p:  # ...and it never expires before a session it lists
        p.expire(_index(user_id), ttl_s, gt=True)
        p.execute()


def create_session(r, user_id, data, idle_ttl_s=1800):
    sid = secrets.token_hex(20)  # 160 random bits
    with r.pipeline(transaction=True) as p:
        p.hset(_key(sid), mapping={"user_id": user_id, **{k: json.dumps(v) for k, v in data.items()}})
        p.expire(_key(sid), idle_ttl_s)
        p.sadd(_index(user_id), sid)
        p.expire(_index(user_id), idle_ttl_s, nx=True)
        p.expire(_index(user_id), idle_ttl_s, gt=True)
        p.execute()
    return sid


def get_session(r, sid, idle_ttl_s=1800):
    fields = r.hgetall(_key(sid))
    if not fields:
        return None
    r.expire(_key(sid), idle_ttl_s)  # a no-op if it expired meanwhile: nothing is brought back
    _slide_index(r, fields["user_id"], idle_ttl_s)
    return {k: v if k == "user_id" else json.loads(v) for k, v in fields.items()}


def update_session(r, sid, changes, idle_ttl_s=1800):
    with r.pipeline() as p:
        while True:
            try:
                p.watch(_key(sid))
                user_id = p.hget(_key(sid), "user_id")
                if user_id is None:
                    p.unwatch()
                    return False
                p.multi()
                if changes:
                    p.hset(_key(sid), mapping={k: json.dumps(v) for k, v in changes.items()})
                p.expire(_key(sid), idle_ttl_s)
                p.execute()
                break
            except redis.WatchError:
                continue
    _slide_index(r, user_id, idle_ttl_s)
    return True


def destroy_session(r, sid):
    user_id = r.hget(_key(sid), "user_id")
    if user_id is None:
        return False
    deleted = r.delete(_key(sid))
    r.srem(_index(user_id), sid)
    return deleted == 1


def destroy_all_sessions(r, user_id):
    with r.pipeline() as p:
        while True:
            try:
                p.watch(_index(user_id))
                sids = p.smembers(_index(user_id))
                p.multi()
                for sid in sids:
                    p.delete(_key(sid))
                p.delete(_index(user_id))
                return sum(p.execute()[:-1])  # the DELs of the sessions; the last is the index
            except redis.WatchError:
                continue


def list_sessions(r, user_id):
    return [sid for sid in r.smembers(_index(user_id)) if r.exists(_key(sid))]
