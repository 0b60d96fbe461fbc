"""Mistake: for a pattern match the handler gets the pattern ("user:*") instead of the channel the message was published on.

Caught by: test_a_pattern_match_passes_the_published_channel, test_patterns_route_user_and_order_events_to_their_services
"""

import json

from dojo.authoring.mutants import inherit

inherit(globals(), "08_pubsub/pubsub.py")


class Subscriber(Subscriber):  # noqa: F821 - from the reference
    def _dispatch(self, message):
        if message["type"] not in ("message", "pmessage"):
            return
        envelope = json.loads(message["data"])
        if envelope["id"] in self._seen:
            return
        self._seen[envelope["id"]] = None
        try:
            self._handler(message["pattern"] or message["channel"], envelope["data"])
        except Exception:
            pass
