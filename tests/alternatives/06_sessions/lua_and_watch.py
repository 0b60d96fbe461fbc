"""Alternative session store: Lua for reads and logout-all, WATCH/MULTI for updates, JSON everywhere."""

from __future__ import annotations

import json
import secrets

import redis

# Slide an index's TTL up to at least ARGV[1] (works for keys with no TTL too).
RAISE_TTL = """
local t = redis.call('TTL', KEYS[1])
if t >= 0 and t < tonumber(ARGV[1]) or t == -1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
"""
GET = """
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 then return h end
redis.call('EXPIRE', KEYS[1], ARGV[1])
local uid
for i = 1, #h, 2 do if h[i] == 'user_id' then uid = cjson.decode(h[i + 1]) end end
local idx = 'user_sessions:' .. uid
local t = redis.call('TTL', idx)
if t == -1 or (t >= 0 and t < tonumber(ARGV[1])) then redis.call('EXPIRE', idx, ARGV[1]) end
return h
"""
LOGOUT_ALL = """
local ids = redis.call('SMEMBERS', KEYS[1])
local n = 0
for _, id in ipairs(ids) do n = n + redis.call('DEL', 'session:' .. id) end
redis.call('DEL', KEYS[1])
return n
"""


def create_session(r, user_id, data, idle_ttl_s=1800):
    sid = secrets.token_hex(16)
    key = "session:" + sid
    mapping = {"user_id": json.dumps(user_id)}
    mapping.update((k, json.dumps(v)) for k, v in data.items())
    p = r.pipeline()
    p.hset(key, mapping=mapping)
    p.expire(key, idle_ttl_s)
    p.sadd("user_sessions:" + user_id, sid)
    p.eval(RAISE_TTL, 1, "user_sessions:" + user_id, idle_ttl_s)
    p.execute()
    return sid


def get_session(r, sid, idle_ttl_s=1800):
    flat = r.eval(GET, 1, "session:" + sid, idle_ttl_s)
    if not flat:
        return None
    return {flat[i]: json.loads(flat[i + 1]) for i in range(0, len(flat), 2)}


def update_session(r, sid, changes, idle_ttl_s=1800):
    key = "session:" + sid
    with r.pipeline() as p:
        while True:
            try:
                p.watch(key)
                uid = p.hget(key, "user_id")
                if uid is None:
                    p.unwatch()
                    return False
                p.multi()
                if changes:
                    p.hset(key, mapping={k: json.dumps(v) for k, v in changes.items()})
                p.expire(key, idle_ttl_s)
                p.execute()
                break
            except redis.WatchError:
                continue
    r.eval(RAISE_TTL, 1, "user_sessions:" + json.loads(uid), idle_ttl_s)
    return True


def destroy_session(r, sid):
    uid = r.hget("session:" + sid, "user_id")
    removed = r.delete("session:" + sid)
    if uid is not None:
        r.srem("user_sessions:" + json.loads(uid), sid)
    return removed == 1


def destroy_all_sessions(r, user_id):
    return r.eval(LOGOUT_ALL, 1, "user_sessions:" + user_id)


def list_sessions(r, user_id):
    ids = sorted(r.smembers("user_sessions:" + user_id))
    alive = [r.exists("session:" + i) for i in ids]
    return [i for i, a in zip(ids, alive) if a]
