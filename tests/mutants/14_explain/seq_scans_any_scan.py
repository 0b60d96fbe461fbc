"""Mistake: seq_scans reports every relation the plan reads, index scans included.

Caught by: test_seq_scans_gives_relation_names_not_aliases_and_skips_index_scans
"""

from dojo.authoring.mutants import inherit

inherit(globals(), "14_explain/explain.py")


def seq_scans(node):
    return [n["Relation Name"] for n in walk(node) if "Relation Name" in n]  # noqa: F821
