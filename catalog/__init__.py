"""Catalogue input: schema, readers, validation, normalisation, and a generator."""

from catalog.normalise import normalise, parse_issue_counts
from catalog.readers import INPUT_FORMATS, read_input
from catalog.validate import split_valid

__all__ = ["INPUT_FORMATS", "normalise", "parse_issue_counts", "read_input", "split_valid"]
