"""Mistake: stop() only signals the thread and returns (like redis-py's run_in_thread(...).stop() without join()).

Caught by: test_stop_returns_only_after_the_running_handler_finished
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "08_pubsub/pubsub.py")


class Subscriber(Subscriber):  # noqa: F821 - from the reference
    def stop(self):
        self._stopping.set()
