"""Running katas in child pytest processes, and the servers those runs share.

Used by the `dojo` command (dojo.cli) and by the tests of the tests (dojo.authoring); the
pytest side (dojo.harness) never imports it.
"""
