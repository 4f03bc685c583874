"""Catalogue input: schema, readers, validation, normalisation, and a generator."""

from catalog.normalise import normalise, parse_issue_counts
from catalog.readers import describe_mapping, read_input
from catalog.validate import split_valid

__all__ = ["describe_mapping", "normalise", "parse_issue_counts", "read_input", "split_valid"]
