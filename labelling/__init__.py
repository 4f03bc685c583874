"""The user's labels: the `labels` Delta table, importing golden pairs or a
golden cluster column, picking the pairs worth labelling, and the labelling
session in a terminal or notebook."""

from labelling.table import (
    LABELS,
    LABELS_SCHEMA,
    append_labels,
    current_labels,
    label_rows,
    ordered,
)

__all__ = ["LABELS", "LABELS_SCHEMA", "append_labels", "current_labels", "label_rows", "ordered"]
