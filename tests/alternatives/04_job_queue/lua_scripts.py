"""Alternative job queue: Lua scripts, RPUSH/left-take, blocks on the HIGH list between looks."""

from __future__ import annotations

import json
import secrets
import time

TAKE = """
local job = redis.call('LMOVE', KEYS[1], KEYS[3], 'LEFT', 'RIGHT')
if job then return job end
return redis.call('LMOVE', KEYS[2], KEYS[3], 'LEFT', 'RIGHT')
"""
# KEYS: processing, dead, high, normal; ARGV: raw, max_attempts
FAIL = """
local job = cjson.decode(ARGV[1])
job['attempts'] = job['attempts'] + 1
local target = KEYS[2]
if job['attempts'] >= tonumber(ARGV[2]) then target = KEYS[2]
elseif job['priority'] == 'high' then target = KEYS[3] else target = KEYS[4] end
redis.call('LREM', KEYS[1], -1, ARGV[1])
redis.call('RPUSH', target, cjson.encode(job))
return target
"""
# KEYS: processing, high, normal
RECOVER = """
local n = 0
while true do
  local raw = redis.call('LINDEX', KEYS[1], -1)
  if not raw then return n end
  local target = KEYS[3]
  if cjson.decode(raw)['priority'] == 'high' then target = KEYS[2] end
  redis.call('LMOVE', KEYS[1], target, 'RIGHT', 'LEFT')
  n = n + 1
end
"""


def _k(name, part):
    return f"queue:{name}:{part}"


def enqueue(r, name, payload, priority="normal"):
    if priority != "high" and priority != "normal":
        raise ValueError(f"unknown priority {priority!r}")
    job_id = f"{time.time_ns():x}-{secrets.token_hex(6)}"
    r.rpush(_k(name, priority), json.dumps({"id": job_id, "payload": payload, "priority": priority, "attempts": 0}))
    return job_id


def work_one(r, name, handler, timeout_s=1.0, max_attempts=3):
    keys = [_k(name, "high"), _k(name, "normal"), _k(name, "processing")]
    deadline = time.monotonic() + timeout_s
    raw = r.eval(TAKE, 3, *keys)
    while raw is None:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        # Block on the high list; look at normal again every 0.2 s.
        raw = r.blmove(keys[0], keys[2], max(0.01, min(left, 0.1)), "LEFT", "RIGHT") or r.eval(TAKE, 3, *keys)
    job = json.loads(raw)
    try:
        handler(job["payload"])
    except Exception:
        r.eval(FAIL, 4, keys[2], _k(name, "dead"), keys[0], keys[1], raw, max_attempts)
    else:
        r.lrem(keys[2], -1, raw)
    return job["id"]


def recover(r, name):
    return int(r.eval(RECOVER, 3, _k(name, "processing"), _k(name, "high"), _k(name, "normal")))


def pending(r, name):
    return r.llen(_k(name, "high")) + r.llen(_k(name, "normal"))


def dead_letters(r, name):
    return [json.loads(x) for x in r.lrange(_k(name, "dead"), 0, -1)]
