"""Where a run keeps the files beside its tables (reports, a downloaded
model): under the output folder when it is on this machine's file system;
under the local temporary folder when the output is an object store or
DBFS URI, which Python's file functions cannot write (those files reach
MLflow either way)."""

from __future__ import annotations

import os
import re
import tempfile


def is_local(path: str) -> bool:
    return path.startswith("file:") or not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", path)


def side_folder(output: str, *parts: str) -> str:
    """OUTPUT/parts... for a local output; TMP/tracklink/<output as a name>/parts... otherwise."""
    if is_local(output):
        root = output.removeprefix("file://").removeprefix("file:")
    else:
        root = os.path.join(
            tempfile.gettempdir(), "tracklink", re.sub(r"[^A-Za-z0-9._-]+", "_", output)
        )
    return os.path.join(root, *parts)
