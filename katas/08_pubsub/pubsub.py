"""Kata 08 — publish/subscribe: real-time messages across servers.

Fill in everything below; `pytest katas/08_pubsub` tells you what is missing.
`r` is a redis.Redis client created with decode_responses=True (replies are str). The tests'
clients give up on a reply after 5 s (redis-py's default socket timeout): a `listen()` loop, or
`get_message(timeout=None)`, on a channel quiet for 5 s fails with redis.TimeoutError — wait in
short slices (e.g. `get_message(timeout=0.1)`) and loop.

Messages travel as JSON envelopes: `{"id": <unique per published message>, "data": <the dict>}`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable


def publish(r, channel: str, data: dict) -> int:
    """Publish `data` on `channel`, wrapped in a JSON envelope `{"id", "data"}` with a fresh id.

    Return Redis's receiver count: how many subscriptions received it (a subscriber that
    matches by a channel and by a pattern counts twice), 0 when nobody listens.
    """
    raise NotImplementedError


class Subscriber:
    """Listens on `channels` and `patterns` (e.g. "user:*") in a thread of its own.

    `handler(channel, data)` is called with the channel the message was published on (also
    when a pattern matched) and the envelope's `data`.
    """

    def __init__(
        self,
        r,
        handler: Callable[[str, dict], object],
        channels: Iterable[str] = (),
        patterns: Iterable[str] = (),
    ) -> None:
        """Remember the client, the handler and what to listen to; start() begins listening."""
        raise NotImplementedError

    def start(self) -> None:
        """Subscribe, start listening in a background thread, and return.

        Return only once the server has confirmed every channel and pattern subscription (read
        the confirmations), so that a message published right after start() reaches this
        subscriber — the tests hold each SUBSCRIBE back 0.3 s on its way to the server.
        Then, for every published message:
        - the handler is called exactly once, even when a channel and a pattern (or two
          patterns) of this subscriber both match (Redis then delivers it to you twice);
        - subscription confirmations never reach the handler;
        - a handler that raises does not stop the subscriber: the next message is handled.
        """
        raise NotImplementedError

    def stop(self) -> None:
        """Unsubscribe, close the connection, and return only once the thread has ended.

        After stop() returns no handler call is running or will run, and the connection is
        closed, so the server drops every subscription of this subscriber (the tests give it up
        to 1 s to notice a closed connection). Calling stop() a second time does nothing.
        """
        raise NotImplementedError
