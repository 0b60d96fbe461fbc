"""Mistake: seq_scans reports the alias the query gave the table ("o") instead of its name.

Caught by: test_seq_scans_gives_relation_names_not_aliases_and_skips_index_scans
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "14_explain/explain.py")


def seq_scans(node):
    return [n["Alias"] for n in walk(node) if n["Node Type"] == "Seq Scan"]  # noqa: F821
