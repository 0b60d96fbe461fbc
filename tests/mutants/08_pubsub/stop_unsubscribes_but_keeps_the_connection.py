"""Mistake: stop() unsubscribes but never closes the connection, so every stopped subscriber leaks one.

Caught by: test_stop_unsubscribes_and_closes_its_connection
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "08_pubsub/pubsub.py")


class Subscriber(Subscriber):  # noqa: F821 - from the reference
    def _leave(self, pubsub):
        pubsub.unsubscribe()
        pubsub.punsubscribe()
        while pubsub.subscribed:
            pubsub.get_message(timeout=0.1)
