"""The pytest side of dojo: the plugin (options, the module under test, failures, results) and fixtures.

Nothing here imports the `dojo` command's side (dojo.cli, dojo.runs, dojo.grading) or rich.
"""
