"""What a model must fit, learnt from a data folder without decoding it: the images' shape and the
classes. Analysis takes it as context (``analyze(spec, data=facts)``), so the canvas and `studio train`
give an input without a shape the data's and find a head whose width is not the class count.

    facts = data_facts(DataConfig("photos"))   # scan (names and sizes) + a few image headers
    facts.shape, facts.num_classes             # (1, 28, 28), 3
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from PIL import Image

from studio.engine.data.dataset import DataConfig
from studio.engine.data.errors import DataError
from studio.engine.data.scan import DatasetIndex, scan_image_folder
from studio.engine.filenames import shown_name

GRAY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"})
SAMPLE = 32  # image headers read to learn the shape (spread over the folder)


@dataclass(frozen=True)
class DataFacts:
    """``shape`` (channels, height, width) the images give (None when none of those read opened),
    ``class_names`` from the scan, ``heads`` the outputs a loss trains (None: every output) and
    ``problem``: why the folder could not be used (then nothing else is known)."""

    shape: tuple[int, int, int] | None = None
    class_names: tuple[str, ...] = ()
    root: str = ""
    heads: tuple[str, ...] | None = None
    problem: str | None = None

    @property
    def num_classes(self) -> int | None:
        return len(self.class_names) if self.class_names else None

    def required_shape(self) -> tuple[int, int, int]:
        """``shape``, or DataError when none of the images read opened (a model input needs it)."""
        if self.shape is None:
            raise DataError(f"none of the images in {shown_name(self.root)} could be opened to learn the "
                            "input's shape: check the files, or set the input's shape")
        return self.shape


def data_facts(config: DataConfig, class_names: tuple[str, ...] | None = None) -> DataFacts:
    """The facts of ``config``'s training folder; DataError when it is missing or holds no image.
    Reads names, sizes and the headers of at most SAMPLE images (no pixel is decoded)."""
    if not config.root:
        raise DataError("no data folder given")
    index = scan_image_folder(config.root, config.labels, class_names)
    return DataFacts(image_shape(index), index.class_names, str(index.root))


def image_shape(index: DatasetIndex, sample: int = SAMPLE) -> tuple[int, int, int] | None:
    """``(channels, height, width)`` of a folder's images: 1 channel when every image read is gray
    (else 3, as decoding makes colour images RGB), the most common size. None when none opened."""
    files = index.paths()
    step = max(1, len(files) // sample)
    modes: set[str] = set()
    sizes: Counter[tuple[int, int]] = Counter()
    for path in files[::step][:sample]:
        try:
            with Image.open(path) as image:  # the header only
                modes.add(image.mode)
                sizes[image.size] += 1
        except Exception:  # noqa: BLE001 - PIL raises many types; decoding reports such files later
            continue
    if not sizes:
        return None
    (width, height), _ = sizes.most_common(1)[0]
    return (1 if modes <= GRAY_MODES else 3, int(height), int(width))
