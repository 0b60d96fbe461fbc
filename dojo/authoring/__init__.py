"""Maintainer tooling: mutants (known-wrong implementations) and the tests of the katas' tests."""
