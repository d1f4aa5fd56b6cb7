"""From folders to training-ready data: scan, decode once, split, normalise, report.

    data = prepare_image_data(DataConfig("photos", val_split=0.2), shape=(3, 64, 64))
    data.report.summary(); data.train.labels; data.val.cache.images
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from studio.engine.data.cache import ImageCache, load_images
from studio.engine.data.decode import MAX_PIXELS
from studio.engine.data.decode_store import DecodeStore
from studio.engine.data.errors import DataError
from studio.engine.data.labels import LabelRule
from studio.engine.data.normalize import Normalization, resolve_normalization
from studio.engine.data.report import DataReport, mode_counts, size_statistics
from studio.engine.data.scan import DatasetIndex, scan_image_folder
from studio.engine.data.split import Split, positions_of, stratified_split
from studio.engine.filenames import shown_name


@dataclass(frozen=True)
class DataConfig:
    """Where the images are and how to read them (the ``data`` section of a training config)."""

    root: str = ""
    val_root: str | None = None
    val_split: float = 0.2
    split_seed: int = 0
    labels: LabelRule = field(default_factory=LabelRule)
    resize: str = "crop"
    normalize: Any = "data"  # "data" | "none" | "imagenet" | {"mean": [...], "std": [...]}
    cache: str = "auto"  # auto | memory | disk
    cache_dir: str | None = None
    workers: int | None = None
    max_image_pixels: int = MAX_PIXELS
    keep_decoded: bool = True  # reuse decoded images in later runs (studio.engine.data.decode_store)
    keep_decoded_dir: str | None = None  # default: $STUDIO_CACHE_DIR or ~/.cache/studio/decoded
    keep_decoded_max_mb: int = 2048

    def __post_init__(self) -> None:
        if self.keep_decoded_max_mb < 1:
            raise DataError("keep_decoded_max_mb must be at least 1 (set keep_decoded to false to turn "
                            "the decode cache off)")


@dataclass
class Subset:
    """Rows ``rows`` of ``cache`` with their class ``labels`` (aligned), named ``files``."""

    cache: ImageCache
    rows: np.ndarray
    labels: np.ndarray
    files: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class ImageData:
    """Training and (optional) validation images, decoded, with their report."""

    train: Subset
    val: Subset | None
    class_names: tuple[str, ...]
    shape: tuple[int, int, int]
    normalization: Normalization
    split: Split
    report: DataReport

    def close(self) -> None:
        self.train.cache.close()
        if self.val is not None:
            self.val.cache.close()


Progress = Callable[[str, int, int], None]  # (stage, done, total)


def prepare_image_data(config: DataConfig, shape: tuple[int, ...] | list[int], *,
                       saved_split: Split | None = None, class_names: tuple[str, ...] | None = None,
                       normalization: Normalization | None = None, progress: Progress | None = None
                       ) -> ImageData:
    """Scan, decode, split and report. Bad files are skipped and reported; DataError when nothing
    usable is left. ``saved_split`` reuses an earlier run's split, ``class_names`` fixes the classes
    and ``normalization`` the statistics (resuming or evaluating a run)."""
    if not config.root:
        raise DataError("no data folder given")
    shape = tuple(int(v) for v in shape)
    warnings: list[str] = []
    index = scan_image_folder(config.root, config.labels, class_names)
    warnings += index.warnings
    cache = _decode(index, shape, config, "decoding", progress)
    skipped = _skipped(index, cache)
    good = np.flatnonzero(cache.ok)
    if len(good) == 0:
        path, reason = skipped[0]
        raise DataError(f"none of the {len(index)} image file(s) in {shown_name(index.root)} could be "
                        f"read (e.g. {shown_name(path)}: {shown_name(reason)})")
    names = index.class_names
    val_cache, val_index = None, None
    if config.val_root:
        val_index = scan_image_folder(config.val_root, config.labels, names)
        val_cache = _decode(val_index, shape, config, "decoding validation", progress)
        skipped += _skipped(val_index, val_cache)
        val_good = np.flatnonzero(val_cache.ok)
        train_rows = good
        split = saved_split or Split("folders", tuple(index.files[i] for i in good),
                                     tuple(val_index.files[i] for i in val_good))
        if saved_split is not None:
            train_rows, warnings = _apply_saved(index.files, good, saved_split.train, "training", warnings)
            val_good, warnings = _apply_saved(val_index.files, val_good, saved_split.val, "validation",
                                              warnings)
        val_rows = val_good
    elif saved_split is not None:
        split = saved_split
        train_rows, warnings = _apply_saved(index.files, good, saved_split.train, "training", warnings)
        val_rows, warnings = _apply_saved(index.files, good, saved_split.val, "validation", warnings)
        val_cache, val_index = cache, index
    else:
        train_pos, val_pos = stratified_split(index.labels[good], config.val_split, config.split_seed)
        train_rows, val_rows = good[train_pos], good[val_pos]
        split = Split("fraction", tuple(index.files[i] for i in train_rows),
                      tuple(index.files[i] for i in val_rows), config.val_split, config.split_seed)
        val_cache, val_index = cache, index
    if len(train_rows) == 0:
        raise DataError(f"no training images left in {shown_name(index.root)}")
    train = Subset(cache, train_rows, index.labels[train_rows], tuple(index.files[i] for i in train_rows))
    val = None
    if len(val_rows):
        val = Subset(val_cache, val_rows, val_index.labels[val_rows],
                     tuple(val_index.files[i] for i in val_rows))
    elif config.val_root or config.val_split > 0:
        warnings.append("no validation images: training runs without validation metrics")
    norm = normalization or resolve_normalization(config.normalize, cache.images, train_rows,
                                                  config.split_seed)
    warnings += _class_warnings(names, train.labels, val)
    if len(names) < 2:
        warnings.append(f"only one class ({shown_name(names[0])}): a classifier has nothing to learn")
    used = np.concatenate([train_rows] + ([] if val is None or val.cache is not cache else [val.rows]))
    sizes = cache.source_sizes[used]
    modes = [cache.source_modes[i] for i in used]
    report = DataReport(
        root=str(index.root), val_root=str(val_index.root) if config.val_root else None, class_names=names,
        train_counts=_counts(train.labels, len(names)),
        val_counts=_counts(val.labels if val else np.zeros(0, np.int64), len(names)),
        skipped=tuple(skipped), image_sizes=size_statistics(sizes), modes=mode_counts(modes),
        input_shape=shape, normalization=norm.to_dict(),
        split={"mode": split.mode, "fraction": split.fraction, "seed": split.seed}, storage=cache.storage,
        decode_seconds=cache.seconds + (val_cache.seconds if val_cache is not cache else 0.0),
        warnings=tuple(warnings), reused_decode=cache.reused and val_cache.reused)
    image_shape = cast(tuple[int, int, int], shape)  # load_images refused any other length
    return ImageData(train, val, names, image_shape, norm, split, report)


def _decode(index: DatasetIndex, shape: tuple[int, ...], config: DataConfig, stage: str,
            progress: Progress | None) -> ImageCache:
    callback = (lambda done, total: progress(stage, done, total)) if progress is not None else None
    store = None
    if config.keep_decoded:
        store = DecodeStore.at(config.keep_decoded_dir, config.keep_decoded_max_mb)
    return load_images(index.paths(), shape, resize=config.resize, workers=config.workers,
                       storage=config.cache, directory=config.cache_dir, max_pixels=config.max_image_pixels,
                       progress=callback, store=store)


def _skipped(index: DatasetIndex, cache: ImageCache) -> list[tuple[str, str]]:
    found = [(str(index.root / item.path), item.reason) for item in index.skipped]
    found += [(str(index.root / index.files[i]), reason) for i, reason in sorted(cache.failures.items())]
    return found


def _apply_saved(files: tuple[str, ...], good: np.ndarray, wanted: tuple[str, ...], what: str,
                 warnings: list[str]) -> tuple[np.ndarray, list[str]]:
    rows, missing = positions_of(files, wanted)
    rows = np.intersect1d(rows, good)
    lost = missing + (len(wanted) - missing - len(rows))
    if lost:
        warnings = [*warnings, f"{lost} {what} file(s) of the saved split are missing or unreadable now"]
    return rows, warnings


def _counts(labels: np.ndarray, classes: int) -> tuple[int, ...]:
    return tuple(np.bincount(labels, minlength=classes).tolist())


def _class_warnings(names: tuple[str, ...], train_labels: np.ndarray, val: Subset | None) -> list[str]:
    counts = _counts(train_labels, len(names))
    val_counts = _counts(val.labels, len(names)) if val is not None else (0,) * len(names)
    warnings = []
    for i, name in enumerate(names):
        total = counts[i] + val_counts[i]
        if total == 0:
            warnings.append(f"class '{shown_name(name)}' has no usable image")
        elif total == 1:
            warnings.append(f"class '{shown_name(name)}' has a single image")
    return warnings

