"""Mistake: start() leaves subscribing to the background thread and returns at once, so messages published right after start() are lost.

Caught by: test_a_message_published_right_after_start_is_received
"""

import threading

from dojo.authoring.mutants import inherit

inherit(globals(), "08_pubsub/pubsub.py")


class Subscriber(Subscriber):  # noqa: F821 - from the reference
    def start(self):
        def subscribe_and_listen():
            pubsub = self._r.pubsub()
            if self._channels:
                pubsub.subscribe(*self._channels)
            if self._patterns:
                pubsub.psubscribe(*self._patterns)
            self._pubsub = pubsub
            self._listen([])

        self._thread = threading.Thread(target=subscribe_and_listen, daemon=True)
        self._thread.start()
