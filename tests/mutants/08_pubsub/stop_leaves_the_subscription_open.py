"""Mistake: stop() ends the thread but neither unsubscribes nor closes the connection: the server keeps a subscriber forever.

Caught by: test_stop_unsubscribes_and_closes_its_connection
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "08_pubsub/pubsub.py")


class Subscriber(Subscriber):  # noqa: F821 - from the reference
    def _leave(self, pubsub):
        pass
