"""Alternative implementation: redis-py handlers + run_in_thread, own connection pool, join on stop."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import deque

import redis


def publish(r, channel, data):
    return int(r.execute_command("PUBLISH", channel, json.dumps({"data": data, "id": secrets.token_urlsafe(12)})))


class Subscriber:
    def __init__(self, r, handler, channels=(), patterns=()):
        # a client of its own, built from the caller's settings (not r.pubsub())
        self._client = redis.Redis(connection_pool=redis.ConnectionPool(**r.connection_pool.connection_kwargs))
        self._handler = handler
        self._channels = set(channels)
        self._patterns = set(patterns)
        self._recent = deque(maxlen=256)
        self._recent_set = set()
        self._guard = threading.Lock()
        self._worker = None
        self._done = False

    def _on_message(self, message):
        envelope = json.loads(message["data"])
        with self._guard:
            if envelope["id"] in self._recent_set:
                return
            if len(self._recent) == self._recent.maxlen:
                self._recent_set.discard(self._recent[0])
            self._recent.append(envelope["id"])
            self._recent_set.add(envelope["id"])
        ch = message["channel"]
        try:
            self._handler(ch.decode() if isinstance(ch, bytes) else ch, envelope["data"])
        except Exception as exc:  # noqa: BLE001
            print("handler failed:", exc)

    def start(self):
        ps = self._client.pubsub(ignore_subscribe_messages=True)
        if self._channels:
            ps.subscribe(**{c: self._on_message for c in self._channels})
        if self._patterns:
            ps.psubscribe(**{p: self._on_message for p in self._patterns})
        # wait until the server lists our connection with all its subscriptions
        deadline = time.monotonic() + 5
        want = len(self._channels), len(self._patterns)
        while True:
            ps.get_message(timeout=0.05)  # confirmations are consumed here (handled messages too)
            if not ps.pending_unsubscribe_channels and self._confirmed(ps, want):
                break
            if time.monotonic() > deadline:
                raise TimeoutError("subscriptions not confirmed")
        self._worker = ps.run_in_thread(sleep_time=0.02, daemon=True, exception_handler=self._on_error)

    def _confirmed(self, ps, want):
        # ask the server: our own connection's sub/psub counts, by our client's laddr
        sock = ps.connection._sock
        host, port = sock.getsockname()[:2]
        for c in self._client.client_list():
            if c["addr"] in (f"{host}:{port}", f"b'{host}:{port}'"):
                return (int(c["sub"]), int(c["psub"])) == want
        return False

    def _on_error(self, exc, pubsub, thread):
        print("subscriber error:", exc)
        time.sleep(0.05)

    def stop(self):
        with self._guard:
            if self._done:
                return
            self._done = True
        if self._worker is not None:
            self._worker.stop()
            self._worker.join()
        self._client.close()
