"""Mistake: every message read from the connection goes to the handler, (un)subscribe confirmations included.

Caught by: test_subscription_confirmations_never_reach_the_handler
"""

import json

from dojo.authoring.mutants import inherit

inherit(globals(), "08_pubsub/pubsub.py")


class Subscriber(Subscriber):  # noqa: F821 - from the reference
    def start(self):
        super().start()
        # the confirmations start() read are handed on too (a listen() loop yields them first)
        for channel in self._channels + self._patterns:
            self._handler(channel, 1)

    def _leave(self, pubsub):
        pubsub.unsubscribe()
        pubsub.punsubscribe()
        while pubsub.subscribed:
            message = pubsub.get_message(timeout=0.1)
            if message is not None:
                self._handler(message["channel"], message["data"])
        pubsub.close()

    def _dispatch(self, message):
        data = message["data"]
        if message["type"] in ("message", "pmessage"):
            data = json.loads(data)["data"]
        try:
            self._handler(message["channel"], data)
        except Exception:
            pass
