"""Mistake: the request's timestamp is also its member, so requests in the same millisecond overwrite each other.

Caught by: test_requests_in_the_same_millisecond_all_count
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "07_rate_limiter/rate_limiter.py")


def check(r, key, limit, window_ms, now_ms):
    script = r.register_script(SLIDING_WINDOW)  # noqa: F821 - from the reference
    allowed, remaining, retry_after = script(
        keys=[f"ratelimit:{key}"],
        args=[limit, window_ms, now_ms, str(now_ms)],  # member = timestamp
    )
    return Decision(bool(allowed), int(remaining), int(retry_after))  # noqa: F821
