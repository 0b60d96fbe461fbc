"""Loads the katas' pytest plugin (fixtures, --impl, --level) for every test in the repository."""

pytest_plugins = ["dojo.harness.plugin"]
