"""The `dojo` command (being written): progress, hints, watch, compare, bench, grade."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    sys.stderr.write("dojo: the command line is not written yet; run `pytest katas/03_lock`.\n")
    return 2
