"""Export in TensorBoard's projector format, so ``tensorboard --logdir DIR`` opens the embedding.

Writes into ``DIR``: ``projector_config.pbtxt``; one tensor file per embedding (raw float32 with
``tensor_shape``, or TSV when the raw bytes would pass for UTF-8 text, which TensorBoard would misread);
``metadata.tsv`` (a header line when there is more than one column; tabs and newlines in values
escaped; no blank lines); ``sprite.png`` (one square grid of thumbnails, at most 8192 px a side); and
an event file so TensorBoard lists the folder as a run. TensorBoard loads at most 100k points, and the
sprite limits how many thumbnails fit: beyond that a seeded random subset is exported and
``note`` says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.engine.atomic import atomic_write_bytes, atomic_write_text
from studio.engine.filenames import shown_name
from studio.engine.projector.embedding import Embedding
from studio.engine.projector.errors import ProjectorError
from studio.engine.projector.events import write_event_file
from studio.engine.projector.projection import Projection
from studio.engine.projector.sprites import grid, save_png, thumbnails

CONFIG = "projector_config.pbtxt"
METADATA = "metadata.tsv"
SPRITE = "sprite.png"
MAX_SPRITE = 8192  # px a side: TensorBoard's (WebGL texture) limit
MAX_POINTS = 100_000  # TensorBoard's projector loads at most this many points


@dataclass(frozen=True)
class TensorBoardExport:
    """What was written: ``points`` of ``total`` (``note`` explains a subset), the tensor names."""

    directory: Path
    config: Path
    points: int
    total: int
    tensors: tuple[str, ...]
    sprite: bool
    note: str = ""


def export_tensorboard(embeddings: Embedding | Sequence[Embedding], directory: str | Path, *,
                       images: np.ndarray | None = None, cell: int = 32,
                       projections: Sequence[Projection] = (), binary: bool = True,
                       max_points: int = MAX_POINTS, seed: int = 0) -> TensorBoardExport:
    """Write ``embeddings`` (one or several layers of the same points) for TensorBoard's projector.

    ``images`` (uint8 ``[N, C, H, W]``, indexable by an index array) adds a sprite of ``cell``-pixel
    thumbnails; ``projections`` add their coordinates as extra tensors (TensorBoard's PCA of a 2-D
    tensor shows that layout).
    """
    items = [embeddings] if isinstance(embeddings, Embedding) else list(embeddings)
    if not items:
        raise ProjectorError("nothing to export")
    total = len(items[0])
    if any(len(e) != total for e in items) or any(len(p) != total for p in projections):
        raise ProjectorError("every embedding and projection of one export must have the same points")
    if images is not None and len(images) != total:
        raise ProjectorError(f"{len(images)} images for {total} points")
    limit, reasons = min(max_points, total), []
    if total > max_points:
        reasons.append(f"TensorBoard loads at most {max_points:,} points")
    if images is not None:
        if not 1 <= cell <= MAX_SPRITE:
            raise ProjectorError(f"the thumbnail size must be between 1 and {MAX_SPRITE} pixels")
        fits = (MAX_SPRITE // cell) ** 2
        if fits < limit:
            limit = fits
            reasons.append(f"a {MAX_SPRITE} px sprite holds {fits:,} thumbnails of {cell} px")
    chosen = np.arange(total)
    note = ""
    if limit < total:
        chosen = np.sort(np.random.default_rng(seed).choice(total, limit, replace=False))
        note = (f"exported a random subset of {limit:,} of {total:,} points (seed {seed}): "
                + "; ".join(reasons))
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    columns = {**items[0].subset(chosen).columns()}
    if limit < total:
        columns["index"] = [str(i) for i in chosen]
    write_metadata(directory / METADATA, columns)
    sprite = None
    if images is not None:
        thumbs = thumbnails(images[chosen], cell)
        side = math.ceil(math.sqrt(len(thumbs)))
        save_png(directory / SPRITE, grid(thumbs, side, side))
        sprite = (SPRITE, cell)
    entries: list[str] = []
    names: list[str] = []
    tensors = [(e.layer or f"embedding_{i + 1}", e.features[chosen]) for i, e in enumerate(items)]
    tensors += [(f"{p.method} {p.dims}d", p.coords[chosen]) for p in projections]
    for name, matrix in tensors:
        name = _unique(name, names)
        names.append(name)
        path = write_tensor(directory, _file_stem(name, names), matrix, binary)
        entries.append(_entry(name, path.name, matrix.shape if path.suffix == ".bytes" else None, sprite))
    config = atomic_write_text(directory / CONFIG, "".join(entries))
    if not any(directory.glob("events.out.tfevents.*")):
        write_event_file(directory)
    return TensorBoardExport(directory, config, len(chosen), total, tuple(names), sprite is not None, note)


def write_tensor(directory: Path, stem: str, matrix: np.ndarray, binary: bool = True) -> Path:
    """``stem.bytes`` (raw little-endian float32) or ``stem.tsv``; TSV also when the raw bytes happen to
    be valid UTF-8, because TensorBoard tries to read a tensor file as text first."""
    data = np.ascontiguousarray(matrix, dtype="<f4").tobytes()
    if binary and not _is_utf8(data):
        return atomic_write_bytes(directory / f"{stem}.bytes", data)
    lines = ["\t".join(f"{v:.9g}" for v in row) for row in np.asarray(matrix, dtype=np.float32)]
    return atomic_write_text(directory / f"{stem}.tsv", "\n".join(lines) + "\n")


def write_metadata(path: Path, columns: dict[str, list[str]]) -> Path:
    """One row per point; a header only with several columns (TensorBoard's rule)."""
    names = list(columns)
    rows = list(zip(*(columns[n] for n in names), strict=True))
    if len(names) == 1:  # no header; a blank line would be skipped and shift every later label
        lines = [_escape(row[0]) or "(empty)" for row in rows]
    else:
        lines = ["\t".join(_escape(n) for n in names)] + ["\t".join(_escape(v) for v in row) for row in rows]
    return atomic_write_text(path, "\n".join(lines) + "\n")


def _escape(value: str) -> str:
    """One TSV cell; names of files that are not UTF-8 (and other controls) shown escaped."""
    text = str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n")
    return shown_name(text)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _unique(name: str, taken: list[str]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name} ({n})"
    return candidate


def _file_stem(name: str, taken: list[str]) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return f"tensor-{len(taken):02d}-{safe}"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _entry(name: str, path: str, shape: tuple[int, ...] | None, sprite: tuple[str, int] | None) -> str:
    lines = ["embeddings {", f"  tensor_name: {_quote(name)}", f"  tensor_path: {_quote(path)}"]
    if shape is not None:
        lines += [f"  tensor_shape: {n}" for n in shape]
    lines.append(f"  metadata_path: {_quote(METADATA)}")
    if sprite is not None:
        lines += ["  sprite {", f"    image_path: {_quote(sprite[0])}",
                  f"    single_image_dim: {sprite[1]}", f"    single_image_dim: {sprite[1]}", "  }"]
    return "\n".join(lines + ["}", ""])
