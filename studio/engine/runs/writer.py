"""Writing a run directory while training: whole-line metric appends and atomic status updates,
so other processes can follow it at any moment."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from studio.engine.atomic import atomic_write_text
from studio.engine.jsonio import dumps_json
from studio.engine.runs import layout
from studio.engine.spec.io import dumps
from studio.engine.spec.model import ModelSpec


class RunWriter:
    """Owns ``directory`` for one training process (rank 0 of a distributed run)."""

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._metrics = open(self.directory / layout.METRICS, "ab", buffering=0)  # noqa: SIM115
        self._end_torn_line()
        self._log = open(self.directory / layout.LOG, "a", encoding="utf-8",  # noqa: SIM115
                         errors="backslashreplace")  # (names of files that are not UTF-8)
        self._status: dict[str, Any] = {"format": "studio.status/1", "pid": os.getpid(),
                                        "host": socket.gethostname(), "started": time.time()}

    def write_json(self, name: str, data: Any) -> Path:
        """Write ``data`` as ``name`` in the run directory, atomically."""
        return atomic_write_text(self.directory / name, dumps_json(data, indent=1) + "\n")

    def write_spec(self, spec: ModelSpec) -> None:
        atomic_write_text(self.directory / layout.SPEC, dumps(spec))

    def log_metrics(self, record: dict[str, Any]) -> None:
        """Append one record as one line in a single write, so a follower never sees half of it."""
        self._metrics.write((dumps_json(record) + "\n").encode("utf-8"))

    def _end_torn_line(self) -> None:
        """A writer killed mid-append may have left half a record: end its line, so the records
        appended now are not glued to it (and lost to readers)."""
        size = os.fstat(self._metrics.fileno()).st_size
        if size:
            with open(self.directory / layout.METRICS, "rb") as handle:
                handle.seek(size - 1)
                if handle.read(1) != b"\n":
                    self._metrics.write(b"\n")

    def log_text(self, line: str) -> None:
        """A timestamped line in ``log.txt``."""
        self._log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}\n")
        self._log.flush()

    def update_status(self, **fields: Any) -> None:
        """Merge ``fields`` into ``status.json`` and refresh its heartbeat.

        Replaced by an atomic rename, without fsync: readers never see half a file, and a heartbeat
        need not survive a power cut, so frequent updates cost no disk flush."""
        self._status.update(fields)
        self._status["heartbeat"] = time.time()
        path = self.directory / layout.STATUS
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self._status, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, path)

    def close(self) -> None:
        self._metrics.close()
        self._log.close()
