"""Snapshot facts: importing AWS describe-* JSON into base relations, writing and reading them."""
