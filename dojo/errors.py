"""Errors the `dojo` command reports as one sentence, never as a traceback."""

from __future__ import annotations


class DojoError(Exception):
    """Something the user can fix; str(self) says what and how. Exit code 1."""

    code = 1


class UsageError(DojoError):
    """A bad command line: an unknown kata, a wrong option value. Exit code 2."""

    code = 2
