"""Where tracklink's results live: versioned Delta tables under an output folder."""

from storage.delta import Commit, DeltaStore, is_delta_table, read_delta

__all__ = ["Commit", "DeltaStore", "is_delta_table", "read_delta"]
