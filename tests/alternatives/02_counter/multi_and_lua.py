"""Alternative: MULTI/EXEC for the rate limit with expiry = rest of the window, likes as set + counter in Lua."""

import math

LIKE = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then return redis.call('INCR', KEYS[2]) end
return tonumber(redis.call('GET', KEYS[2]) or '0')
"""
UNLIKE = """
if redis.call('SREM', KEYS[1], ARGV[1]) == 1 then return redis.call('DECR', KEYS[2]) end
return tonumber(redis.call('GET', KEYS[2]) or '0')
"""


def record_view(r, page_id):
    return r.incrby(f"views:{page_id}", 1)


def views(r, page_id):
    v = r.get(f"views:{page_id}")
    return 0 if v is None else int(v)


def like(r, post_id, user_id):
    return int(r.eval(LIKE, 2, f"post:{post_id}:likers", f"post:{post_id}:likes", user_id))


def unlike(r, post_id, user_id):
    return int(r.eval(UNLIKE, 2, f"post:{post_id}:likers", f"post:{post_id}:likes", user_id))


def likes(r, post_id):
    return int(r.get(f"post:{post_id}:likes") or 0)


def allow(r, client_id, limit, window_s, now):
    window = int(now // window_s)
    key = f"rate:{client_id}:{window}"
    rest = max(1, math.ceil((window + 1) * window_s - now))
    with r.pipeline() as p:
        p.set(key, 0, nx=True, ex=rest)
        p.incr(key)
        _, n = p.execute()
    return n <= limit
