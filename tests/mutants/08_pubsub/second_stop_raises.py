"""Mistake: stop() tears the connection down without remembering it did, so a second stop() raises.

Caught by: test_stopping_twice_is_harmless
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "08_pubsub/pubsub.py")


class Subscriber(Subscriber):  # noqa: F821 - from the reference
    def stop(self):
        self._stopping.set()
        self._thread.join()
        self._thread = None  # the next stop() calls join() on None
