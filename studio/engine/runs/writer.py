"""Writing a run directory while training: whole-line metric appends and atomic status updates,
so other processes can follow it at any moment.

A write that fails (a full disk) raises an ``OSError`` naming the file and leaves nothing half
written: an append that could not finish is cut off again, a status temp file is removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from studio.engine.atomic import atomic_write_text
from studio.engine.jsonio import dumps_json  # (names of files that are not UTF-8 stay writable)
from studio.engine.runs import layout
from studio.engine.spec.io import dumps
from studio.engine.spec.model import ModelSpec


class RunWriter:
    """Owns ``directory`` for one training process (rank 0 of a distributed run)."""

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._metrics = _AppendFile(self.directory / layout.METRICS)
        self._metrics.end_torn_line()
        self._log = _AppendFile(self.directory / layout.LOG)
        self._status: dict[str, Any] = {"format": "studio.status/1", "pid": os.getpid(),
                                        "host": socket.gethostname(), "started": time.time()}

    def write_json(self, name: str, data: Any) -> Path:
        """Write ``data`` as ``name`` in the run directory, atomically."""
        return atomic_write_text(self.directory / name, dumps_json(data, indent=1) + "\n")

    def write_spec(self, spec: ModelSpec) -> None:
        atomic_write_text(self.directory / layout.SPEC, dumps(spec))

    def log_metrics(self, record: dict[str, Any]) -> None:
        """Append one record as one line in a single write, so a follower never sees half of it."""
        self._metrics.append((dumps_json(record) + "\n").encode("utf-8"))

    def log_text(self, line: str) -> None:
        """A timestamped line in ``log.txt``."""
        self._log.append(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}\n".encode(errors="backslashreplace"))

    def update_status(self, **fields: Any) -> None:
        """Merge ``fields`` into ``status.json`` and refresh its heartbeat.

        Replaced by an atomic rename, without fsync: readers never see half a file, and a heartbeat
        need not survive a power cut, so frequent updates cost no disk flush."""
        self._status.update(fields)
        self._status["heartbeat"] = time.time()
        path = self.directory / layout.STATUS
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(self._status, indent=1) + "\n", encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise OSError(exc.errno, exc.strerror, str(path)) from exc

    def close(self) -> None:
        """Close the files (never raises: nothing is buffered)."""
        self._metrics.close()
        self._log.close()


class _AppendFile:
    """A file opened for appending whole records: each append is one ``write`` of the whole record
    (looped if the system writes less), and one that fails is cut off again."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)

    def _open_fd(self) -> int:
        if self._fd is None:
            raise ValueError(f"{self.path} is closed")
        return self._fd

    def append(self, data: bytes) -> None:
        fd = self._open_fd()
        size = os.fstat(fd).st_size
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(fd, view):]
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)  # no half record for followers (or for the next append)
            raise OSError(exc.errno, exc.strerror, str(self.path)) from exc

    def end_torn_line(self) -> None:
        """A writer killed mid-append may have left half a record: end its line, so the records
        appended now are not glued to it (and lost to readers)."""
        size = os.fstat(self._open_fd()).st_size
        if size:
            with open(self.path, "rb") as handle:
                handle.seek(size - 1)
                if handle.read(1) != b"\n":
                    self.append(b"\n")

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                os.close(fd)
