"""One run at a time per output folder.

Two runs writing the same tables would each compute stable ids from the same
previous version and both commit: Delta keeps each table consistent, but the
tables would disagree with each other. A run therefore holds `<output>/_lock`
and a second run stops with a one-line error naming the holder.

What holds the folder is the kernel's lock (`flock`) on that file, not the
file's existence. An existence lock needs someone to decide that a lock left by
a dead process is stale and remove it, and that decision races: two starters
both judge the same file stale, one removes it and creates its own, the other
then removes the new one and both run. A kernel lock is dropped by the kernel
when its holder exits, however it exits, so there is nothing to take over and
no staleness to judge. The file's text (pid, host, run, since) only names the
holder for the error message; it decides nothing.

The file is never removed, only emptied on release. A releasing run that
unlinked it would let a third starter create and lock a new file while a
second still holds the old, unlinked one. For the same reason a starter that
finds, once locked, that the path no longer names the file it locked (someone
deleted it by hand) starts over on the new file.

An earlier tracklink held the folder by the file's existence alone: its text
carries no `lock` field. While such a holder is alive on this host, or when it
was written on another host (whose processes this one cannot see), a run
still refuses, so that upgrading tracklink mid-run cannot let two runs in.

Object stores have no locks: on a cluster writing to s3:// the scheduler must
serialise runs (the lock applies to local and mounted paths only). Nor does
every mounted filesystem: where the kernel refuses `flock`, the run goes on
without the lock, with a warning, as on an object store.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

from conf.errors import InputError
from runtime.progress import get_logger

LOCK_NAME = "_lock"
# Written into the file by a holder of the kernel lock; a record without it is
# from a tracklink that locked by the file's existence.
_KIND = "flock"
# errno of a filesystem that has no flock (some FUSE and network mounts).
_NO_LOCKS = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS}


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid runs on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read(fd: int) -> dict:
    try:
        size = os.fstat(fd).st_size
        holder = json.loads(os.pread(fd, max(size, 1), 0) or b"{}")
    except (OSError, ValueError):
        return {}
    return holder if isinstance(holder, dict) else {}


def _same_file(fd: int, path: str) -> bool:
    try:
        on_path = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (on_path.st_dev, on_path.st_ino) == (mine.st_dev, mine.st_ino)


class OutputInUse(InputError):
    """Another run holds the output folder."""


@dataclass
class OutputLock:
    output: str
    run_name: str
    # The locked file's descriptor while held, and the process that locked it.
    _fd: int | None = field(default=None, init=False, repr=False, compare=False)
    _pid: int | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def folder(self) -> str:
        """The output as a local path (a file: URI's path)."""
        if self.output.startswith("file:"):
            return urlparse(self.output).path
        return self.output

    @property
    def path(self) -> str:
        return os.path.join(self.folder, LOCK_NAME)

    def _local(self) -> bool:
        return "://" not in self.output or self.output.startswith("file:")

    def acquire(self) -> OutputLock:
        if not self._local():
            return self
        if self._fd is not None:
            raise OutputInUse(f"{self.path} is already held by this lock")
        os.makedirs(self.folder, exist_ok=True)
        while True:
            # No O_EXCL and no O_TRUNC: the file may exist, and a holder's text stays.
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = self._holder_of(fd)
                os.close(fd)
                raise OutputInUse(self._busy(holder)) from None
            except OSError as exc:
                os.close(fd)
                if exc.errno not in _NO_LOCKS:
                    raise
                get_logger().warning(
                    "%s cannot be locked on this filesystem (%s): runs on %s must be "
                    "serialised by whoever starts them",
                    self.path,
                    exc.strerror,
                    self.output,
                )
                return self
            if _same_file(fd, self.path):
                break
            # Deleted or replaced after we opened it: the lock we hold guards nothing.
            os.close(fd)
        earlier = _read(fd)
        if self._earlier_tracklink_holds(earlier):
            os.close(fd)
            raise OutputInUse(self._busy(earlier, by_hand=True))
        record = {
            "lock": _KIND,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "run": self.run_name,
            "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(record).encode(), 0)
        except OSError:
            os.close(fd)
            raise
        self._fd, self._pid = fd, os.getpid()
        return self

    @staticmethod
    def _earlier_tracklink_holds(record: dict) -> bool:
        if not record or record.get("lock") == _KIND:
            return False
        pid = record.get("pid")
        if record.get("host") != socket.gethostname():
            return True
        return isinstance(pid, int) and pid != os.getpid() and pid_alive(pid)

    @staticmethod
    def _holder_of(fd: int) -> dict:
        # The holder writes its name just after it locks: give it a moment.
        for _ in range(10):
            holder = _read(fd)
            if holder:
                return holder
            time.sleep(0.02)
        return {}

    def _busy(self, h: dict, by_hand: bool = False) -> str:
        line = (
            f"another run is writing to {self.output}: run {h.get('run', '?')} "
            f"(pid {h.get('pid', '?')} on {h.get('host', '?')}, since {h.get('since', '?')})"
        )
        if by_hand:
            line += f"; if that run is gone, delete {self.path}"
        return line

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if os.getpid() == self._pid:
            # Emptied, never removed (see the module's docstring); closing unlocks.
            os.ftruncate(fd, 0)
        # A forked child closes only its copy: the parent still holds the lock.
        os.close(fd)

    def __enter__(self) -> OutputLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
