"""The harness behind the katas: servers, the module switch, race and evidence helpers, the CLI."""
