"""Mistake: duplicates are recognised by their content, so two distinct messages with equal data count as one.

Caught by: test_two_messages_with_equal_data_are_both_delivered
"""

import json

from dojo.authoring.mutants import inherit

inherit(globals(), "08_pubsub/pubsub.py")


class Subscriber(Subscriber):  # noqa: F821 - from the reference
    def _dispatch(self, message):
        if message["type"] not in ("message", "pmessage"):
            return
        data = json.loads(message["data"])["data"]
        key = (message["channel"], json.dumps(data, sort_keys=True))
        if key in self._seen:
            return
        self._seen[key] = None
        try:
            self._handler(message["channel"], data)
        except Exception:
            pass
