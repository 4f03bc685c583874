"""One run at a time per output folder.

Two runs writing the same tables would each compute stable ids from the same
previous version and both commit: Delta keeps each table consistent, but the
tables would disagree with each other. A run therefore takes `<output>/_lock`
(created with O_EXCL, so exactly one process gets it) and a second run stops
with a one-line error naming the holder. A lock left by a process that died on
this host is taken over; on another host it must be removed by hand, and the
error says so.

Object stores have no O_EXCL: on a cluster writing to s3:// the scheduler must
serialise runs (the lock applies to local and mounted paths only).
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass

from conf.errors import InputError

LOCK_NAME = "_lock"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class OutputInUse(InputError):
    """Another run holds the output folder."""


@dataclass
class OutputLock:
    output: str
    run_name: str

    @property
    def path(self) -> str:
        return os.path.join(self.output, LOCK_NAME)

    def _local(self) -> bool:
        return "://" not in self.output or self.output.startswith("file:")

    def acquire(self) -> OutputLock:
        if not self._local():
            return self
        os.makedirs(self.output, exist_ok=True)
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "run": self.run_name,
            "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                self._take_over_if_stale()
                continue
            with os.fdopen(fd, "w") as fh:
                json.dump(holder, fh)
            return self
        raise OutputInUse(f"output {self.output} is locked: {self._describe_holder()}")

    def _read_holder(self) -> dict:
        try:
            with open(self.path) as fh:
                return json.load(fh)
        except (OSError, ValueError):
            return {}

    def _describe_holder(self) -> str:
        h = self._read_holder()
        return (
            f"run {h.get('run', '?')} (pid {h.get('pid', '?')} on {h.get('host', '?')}, "
            f"since {h.get('since', '?')}); if that run is gone, delete {self.path}"
        )

    def _take_over_if_stale(self) -> None:
        h = self._read_holder()
        same_host = h.get("host") == socket.gethostname()
        if same_host and isinstance(h.get("pid"), int) and not _alive(h["pid"]):
            # The holder died on this host without releasing: its tables are at
            # their previous versions (commits come last), so the lock is safe to take.
            try:
                os.remove(self.path)
            except FileNotFoundError:
                pass
            return
        raise OutputInUse(f"another run is writing to {self.output}: {self._describe_holder()}")

    def release(self) -> None:
        if not self._local():
            return
        h = self._read_holder()
        if h.get("pid") == os.getpid():
            try:
                os.remove(self.path)
            except FileNotFoundError:
                pass

    def __enter__(self) -> OutputLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
