"""Kata 08 — publish/subscribe with JSON envelopes (reference solution)."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable

log = logging.getLogger(__name__)

CONFIRM_TIMEOUT_S = 5.0  # how long start() waits for the server to confirm the subscriptions
WAKE_S = 0.05  # how often the listening thread looks at its stop flag (a socket wait, no command)
REMEMBERED_IDS = 1_000  # duplicates of one message arrive back to back: a short memory is enough


def publish(r, channel: str, data: dict) -> int:
    # Every message gets its own id, so a subscriber can tell "the same message twice"
    # (a channel and a pattern both matched) from "two messages with the same data".
    envelope = json.dumps({"id": uuid.uuid4().hex, "data": data})
    return r.publish(channel, envelope)


class Subscriber:
    def __init__(
        self,
        r,
        handler: Callable[[str, dict], object],
        channels: Iterable[str] = (),
        patterns: Iterable[str] = (),
    ) -> None:
        self._r = r
        self._handler = handler
        self._channels = list(dict.fromkeys(channels))
        self._patterns = list(dict.fromkeys(patterns))
        self._pubsub = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._seen: OrderedDict[str, None] = OrderedDict()

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("this Subscriber was already started")
        pubsub = self._r.pubsub()  # a connection of its own: a subscribed connection only listens
        if self._channels:
            pubsub.subscribe(*self._channels)
        if self._patterns:
            pubsub.psubscribe(*self._patterns)
        # Pub/sub is fire-and-forget: a message published before the server registered the
        # subscription is gone. So wait for one confirmation per channel and pattern before
        # returning. Anything else that arrives meanwhile is a real message: keep it.
        early = []
        expected = len(self._channels) + len(self._patterns)
        deadline = time.monotonic() + CONFIRM_TIMEOUT_S
        while expected:
            left = deadline - time.monotonic()
            if left <= 0:
                pubsub.close()
                raise TimeoutError(f"the server did not confirm {expected} subscription(s)")
            message = pubsub.get_message(timeout=left)
            if message is None:
                continue
            if message["type"] in ("subscribe", "psubscribe"):
                expected -= 1
            else:
                early.append(message)
        self._pubsub = pubsub
        self._thread = threading.Thread(target=self._listen, args=(early,), name="pubsub-subscriber", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        thread = self._thread
        # Join: when stop() returns, no handler runs any more and the connection is closed.
        # (A handler that calls stop() itself cannot wait for its own thread.)
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    # --- the listening thread ---------------------------------------------------------------

    def _listen(self, early: list[dict]) -> None:
        pubsub = self._pubsub
        try:
            for message in early:
                self._dispatch(message)
            while not self._stopping.is_set():
                # Waits on the socket for up to WAKE_S: the server pushes, nothing is polled.
                message = pubsub.get_message(timeout=WAKE_S)
                if message is not None:
                    self._dispatch(message)
        except Exception:
            log.exception("the subscriber's connection failed")
        finally:
            self._leave(pubsub)

    def _leave(self, pubsub) -> None:
        try:
            pubsub.unsubscribe()
            pubsub.punsubscribe()
            # Read the confirmations, so the server has forgotten us before stop() returns.
            deadline = time.monotonic() + 1.0
            while pubsub.subscribed and time.monotonic() < deadline:
                pubsub.get_message(timeout=0.1)
        except Exception:
            log.exception("could not unsubscribe cleanly")
        finally:
            pubsub.close()  # closes the connection; the server drops whatever is left

    def _dispatch(self, message: dict) -> None:
        # Confirmations ("subscribe", "unsubscribe", ...) and pongs are protocol, not messages.
        if message["type"] not in ("message", "pmessage"):
            return
        try:
            envelope = json.loads(message["data"])
            message_id, data = envelope["id"], envelope["data"]
        except (TypeError, ValueError, KeyError):
            log.warning("ignoring a message that is not an envelope on %s", message["channel"])
            return
        # A channel and a pattern (or two patterns) that both match deliver the same
        # message once for each: handle each envelope id once.
        if message_id in self._seen:
            return
        self._seen[message_id] = None
        if len(self._seen) > REMEMBERED_IDS:
            self._seen.popitem(last=False)
        try:
            # For a pattern match, "channel" is still the channel it was published on;
            # the pattern that matched is in message["pattern"].
            self._handler(message["channel"], data)
        except Exception:
            # One bad message must not kill the subscriber: log it and keep listening.
            log.exception("the handler failed on a message from %s", message["channel"])
