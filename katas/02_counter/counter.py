"""Kata 02 — atomic counters: page views, likes, and a fixed-window rate limit.

Fill in every function below; `pytest katas/02_counter` tells you what is missing.
`r` is a redis.Redis client created with decode_responses=True (replies are str).
"""

from __future__ import annotations


def record_view(r, page_id: str) -> int:
    """Count one view of `page_id` at key `views:{page_id}`; return the new total.

    Many web servers call this at the same moment: no view may ever be lost.
    """
    raise NotImplementedError


def views(r, page_id: str) -> int:
    """The number of views of `page_id` (0 for a page never viewed)."""
    raise NotImplementedError


def like(r, post_id: str, user_id: str) -> int:
    """`user_id` likes `post_id`; return the post's like count after the call.

    Each user counts at most once per post: liking twice counts once. Where you remember who
    liked what is up to you (the reference keeps it under `likes:{post_id}`); the tests read
    likes only through like/unlike/likes. The count stays right even when a client dies between
    two of its commands (the tests kill it right after each one): no second step may be needed
    to make it agree with who likes the post.
    """
    raise NotImplementedError


def unlike(r, post_id: str, user_id: str) -> int:
    """`user_id` takes back their like of `post_id`; return the like count after the call.

    Unliking a post you did not like changes nothing, and the count never goes below zero.
    """
    raise NotImplementedError


def likes(r, post_id: str) -> int:
    """The number of users who like `post_id` (0 if nobody does)."""
    raise NotImplementedError


def allow(r, client_id: str, limit: int, window_s: int, now: float) -> bool:
    """Fixed-window rate limit: may `client_id` make one more call at time `now`?

    Calls are counted at key `rate:{client_id}:{int(now // window_s)}` (one key per window);
    at most `limit` calls per window are allowed (True), the rest refused (False).
    The key gets its expiry (at most `window_s` seconds) in the same atomic step as its first
    increment, so no counter ever lives without one. `now` is seconds (float) on the caller's
    clock, injected by the caller — not necessarily the server's clock.
    """
    raise NotImplementedError
