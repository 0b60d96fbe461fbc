"""Mistake: start() sends SUBSCRIBE/PSUBSCRIBE from the caller's thread but returns without reading the confirmations: the server may not have the subscriptions yet, and messages published right after start() are lost.

Caught by: test_a_message_published_right_after_start_is_received
"""

import threading

from dojo.authoring.mutants import inherit

inherit(globals(), "08_pubsub/pubsub.py")


class Subscriber(Subscriber):  # noqa: F821 - from the reference
    def start(self):
        pubsub = self._r.pubsub()
        if self._channels:
            pubsub.subscribe(*self._channels)  # sent; the confirmation is left to the listening thread
        if self._patterns:
            pubsub.psubscribe(*self._patterns)
        self._pubsub = pubsub
        self._thread = threading.Thread(target=self._listen, args=([],), name="pubsub-subscriber", daemon=True)
        self._thread.start()
