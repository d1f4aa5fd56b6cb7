"""A minimal TensorBoard event file (one ``file_version`` record), written without TensorFlow.

TensorBoard lists a folder as a run only when an ``events.out.tfevents.*`` file is in it. The file is
TFRecord framing (length, masked CRC-32C of the length, data, masked CRC-32C of the data) around an
``Event`` protobuf, encoded here by hand: field 1 ``wall_time`` (double), field 3 ``file_version``.
"""

from __future__ import annotations

import socket
import struct
import time
from pathlib import Path

from studio.engine.atomic import atomic_write_bytes

_POLY = 0x82F63B78  # CRC-32C (Castagnoli), reflected
_TABLE = []
for _n in range(256):
    _c = _n
    for _ in range(8):
        _c = (_c >> 1) ^ _POLY if _c & 1 else _c >> 1
    _TABLE.append(_c)


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def record(data: bytes) -> bytes:
    """One TFRecord around ``data``."""
    length = struct.pack("<Q", len(data))
    return (length + struct.pack("<I", masked_crc32c(length)) + data
            + struct.pack("<I", masked_crc32c(data)))


def write_event_file(directory: str | Path, wall_time: float | None = None) -> Path:
    """Write ``events.out.tfevents.<time>.<host>`` holding the version record; returns its path."""
    wall_time = time.time() if wall_time is None else wall_time
    version = b"brain.Event:2"
    event = b"\x09" + struct.pack("<d", wall_time) + b"\x1a" + bytes([len(version)]) + version
    name = f"events.out.tfevents.{int(wall_time)}.{socket.gethostname()}.studio"
    return atomic_write_bytes(Path(directory) / name, record(event))
