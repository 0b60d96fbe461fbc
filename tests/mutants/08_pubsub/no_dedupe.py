"""Mistake: no deduplication: a message matching a channel and a pattern of the subscriber reaches the handler twice.

Caught by: test_a_channel_and_a_pattern_that_both_match_deliver_once, test_overlapping_patterns_deliver_once
"""

import json

from dojo.authoring.mutants import inherit

inherit(globals(), "08_pubsub/pubsub.py")


class Subscriber(Subscriber):  # noqa: F821 - from the reference
    def _dispatch(self, message):
        if message["type"] not in ("message", "pmessage"):
            return
        try:
            self._handler(message["channel"], json.loads(message["data"])["data"])
        except Exception:
            pass
