"""One read-only view over any checkpoint file: Studio's, foreign safetensors or PyTorch files.

    with open_checkpoint("resnet18.pth") as ckpt:
        ckpt.names(); ckpt.shape("fc.weight"); ckpt.tensor("fc.weight")

Listing names, shapes and dtypes reads only the file header (safetensors) or memory-maps (zip ``.pt``);
tensor data is read when asked for. The format is recognised from the bytes, not the extension.
"""

from __future__ import annotations

import math
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from torch import nn

from studio.engine.checkpoints.errors import CheckpointError
from studio.engine.checkpoints.pytorch_file import extract_state_dict, load_pytorch_file
from studio.engine.checkpoints.weights_file import ORDER_KEY
from studio.engine.filenames import shown_name, utf8_path
from studio.engine.jsonio import parse_json

SAFETENSORS_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool, "F8_E4M3": torch.float8_e4m3fn, "F8_E5M2": torch.float8_e5m2,
}


@dataclass(frozen=True)
class TensorEntry:
    """A tensor's name, shape, dtype and size in bytes (known without reading its data)."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    nbytes: int

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


class CheckpointReader(ABC):
    """Names, shapes and lazily read tensors of one checkpoint file; use it as a context manager."""

    def __init__(self, path: Path, format: str, entries: dict[str, TensorEntry],
                 metadata: dict[str, str], source_key: str | None = None) -> None:
        self.path = path
        self.format = format  # "safetensors" or "pytorch"
        self.metadata = metadata
        self.source_key = source_key  # where the weights sat inside a PyTorch file ("model", ...)
        self._entries = entries

    def names(self) -> list[str]:
        return list(self._entries)

    def entries(self) -> list[TensorEntry]:
        return list(self._entries.values())

    def entry(self, name: str) -> TensorEntry:
        try:
            return self._entries[name]
        except KeyError:
            raise CheckpointError(f"{self.path.name} has no tensor '{name}'") from None

    def shape(self, name: str) -> tuple[int, ...]:
        return self.entry(name).shape

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    @abstractmethod
    def tensor(self, name: str) -> torch.Tensor:
        """The data of tensor ``name`` (read now)."""

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Every tensor (reads all data)."""
        return {name: self.tensor(name) for name in self._entries}

    @abstractmethod
    def close(self) -> None:
        """Release the file (tensors already returned stay valid)."""

    def __enter__(self) -> CheckpointReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class SafetensorsReader(CheckpointReader):
    def __init__(self, path: Path) -> None:
        try:
            with utf8_path(path) as name:  # (safetensors opens only UTF-8 paths)
                self._handle = safe_open(name, "pt")
            metadata = dict(self._handle.metadata() or {})
            entries = {}
            for name in _ordered(self._handle.keys(), metadata.pop(ORDER_KEY, None), path):
                view = self._handle.get_slice(name)
                dtype = SAFETENSORS_DTYPES.get(view.get_dtype())
                shape = tuple(view.get_shape())
                size = (torch.empty((), dtype=dtype).element_size() if dtype else 0)
                entries[name] = TensorEntry(name, shape, _dtype_name(dtype, view.get_dtype()),
                                            size * math.prod(shape))
        except (SafetensorError, OSError, ValueError) as exc:
            raise CheckpointError(_unreadable_safetensors(path, exc)) from None
        super().__init__(path, "safetensors", entries, metadata)

    def tensor(self, name: str) -> torch.Tensor:
        self.entry(name)
        try:
            return self._handle.get_tensor(name)
        except (SafetensorError, OSError, ValueError, TypeError) as exc:
            raise CheckpointError(f"cannot read tensor '{name}' from {self.path}: {exc}") from None

    def close(self) -> None:
        self._handle = None  # type: ignore[assignment]  # (tensors asked for afterwards: an error)


class PytorchReader(CheckpointReader):
    def __init__(self, path: Path, zip_format: bool) -> None:
        obj = load_pytorch_file(path, zip_format)
        self._tensors, key = extract_state_dict(obj, path)
        super().__init__(path, "pytorch", _entries_of(self._tensors), {}, key)

    def tensor(self, name: str) -> torch.Tensor:
        self.entry(name)
        return self._tensors[name]

    def close(self) -> None:
        self._tensors = {}


class StateDictReader(CheckpointReader):
    """The same view over tensors already in memory (a state_dict or a live model)."""

    def __init__(self, tensors: Mapping[str, torch.Tensor], label: str = "model") -> None:
        self._tensors = dict(tensors)
        super().__init__(Path(label), "memory", _entries_of(self._tensors), {})

    def tensor(self, name: str) -> torch.Tensor:
        self.entry(name)
        return self._tensors[name].detach()

    def close(self) -> None:
        self._tensors = {}


CheckpointSource = str | os.PathLike | CheckpointReader | Mapping[str, torch.Tensor] | nn.Module


@contextmanager
def reading(source: CheckpointSource) -> Iterator[CheckpointReader]:
    """A reader for a path, reader, state_dict or model; closed afterwards if opened here."""
    if isinstance(source, CheckpointReader):
        yield source
        return
    if isinstance(source, nn.Module):
        reader: CheckpointReader = StateDictReader(source.state_dict(), type(source).__name__)
    elif isinstance(source, Mapping):
        reader = StateDictReader(source, "state_dict")
    else:
        reader = open_checkpoint(source)
    try:
        yield reader
    finally:
        reader.close()


def open_checkpoint(path: str | os.PathLike) -> CheckpointReader:
    """A reader for a checkpoint file, a Studio sidecar, or a run/checkpoint folder (its latest)."""
    from studio.engine.runs.locate import checkpoint_file  # (the locator lists checkpoints: a store)

    path = checkpoint_file(path)
    with open(path, "rb") as handle:
        head = handle.read(9)
    if not head:
        raise CheckpointError(f"{path} is empty")
    if len(head) == 9 and head[8:9] == b"{":  # 8-byte header length, then the JSON header
        return SafetensorsReader(path)
    if head[:4] == b"PK\x03\x04":
        return PytorchReader(path, zip_format=True)
    if head[0] == 0x80:  # a pickle: PyTorch's legacy (pre-1.6) format
        return PytorchReader(path, zip_format=False)
    raise CheckpointError(f"{path} is not a checkpoint Studio can read (expected .safetensors or a "
                          "PyTorch .pt/.pth/.bin file)")


def load_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Every tensor of a checkpoint (any format :func:`open_checkpoint` reads)."""
    with open_checkpoint(path) as reader:
        return reader.state_dict()


def _unreadable_safetensors(path: Path, exc: Exception) -> str:
    """One sentence for a safetensors file its parser refused (the Rust parser stops at 128 levels)."""
    text, name = shown_name(" ".join(str(exc).split()) or type(exc).__name__), shown_name(path)
    if "recursion limit" in text:
        return (f"{name} is not a readable safetensors file: its header is nested too deeply to be "
                "a checkpoint's")
    return f"{name} is not a readable safetensors file (truncated or corrupt?): {text}"


def _ordered(names: list[str], recorded: str | None, path: Path) -> list[str]:
    """Names in the order recorded at save time, else in natural order (``layer2`` before ``layer10``)."""
    if recorded is not None:
        order = parse_json(recorded, f"the tensor order recorded in {path}", error=CheckpointError)
        if (isinstance(order, list) and all(isinstance(name, str) for name in order)
                and sorted(order) == sorted(names)):
            return order
    return sorted(names, key=lambda name: [(0, int(part), "") if part.isdigit() else (1, 0, part)
                                           for part in re.split(r"(\d+)", name)])


def _entries_of(tensors: Mapping[str, torch.Tensor]) -> dict[str, TensorEntry]:
    return {name: TensorEntry(name, tuple(t.shape), _dtype_name(t.dtype), t.element_size() * t.numel())
            for name, t in tensors.items()}


def _dtype_name(dtype: torch.dtype | None, fallback: str = "?") -> str:
    return str(dtype).removeprefix("torch.") if dtype is not None else fallback.lower()
