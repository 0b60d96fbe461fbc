"""Grading: points per kata and level, and the formats CI systems read (used by `dojo grade`)."""
