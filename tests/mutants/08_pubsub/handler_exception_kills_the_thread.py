"""Mistake: the handler is called without a try/except, so one raising handler kills the subscriber's thread.

Caught by: test_a_handler_that_raises_does_not_kill_the_subscriber
"""

import json

from dojo.authoring.mutants import inherit

inherit(globals(), "08_pubsub/pubsub.py")


class Subscriber(Subscriber):  # noqa: F821 - from the reference
    def _listen(self, early):
        pubsub = self._pubsub
        try:
            while not self._stopping.is_set():
                message = pubsub.get_message(timeout=0.05)
                if message is not None:
                    self._dispatch(message)
        finally:
            self._leave(pubsub)

    def _dispatch(self, message):
        if message["type"] not in ("message", "pmessage"):
            return
        envelope = json.loads(message["data"])
        if envelope["id"] in self._seen:
            return
        self._seen[envelope["id"]] = None
        self._handler(message["channel"], envelope["data"])
