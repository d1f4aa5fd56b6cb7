"""Export the demo dataset: a few thousand Fashion-MNIST images as PNG class folders.

Needs Debian's ``dataset-fashion-mnist`` package (``apt-get install dataset-fashion-mnist``), which
holds the original IDX files. Writes ``resources/demo/fashion/<class>/<n>.png`` from the training set
and ``resources/demo/fashion-val/<class>/<n>.png`` from the held-out test set, the first images of each
class in file order, so the export is the same every time:

    python scripts/make_demo_dataset.py [--train-per-class 500] [--val-per-class 100]
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import struct
import sys
from pathlib import Path

import numpy as np
from PIL import Image

SOURCE = Path("/usr/share/datasets/fashion-mnist")
CLASSES = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
           "ankle-boot"]
OUT = Path(__file__).resolve().parent.parent / "resources" / "demo"


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (the MNIST format) as a numpy array."""
    with gzip.open(path, "rb") as handle:
        data = handle.read()
    _, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if dtype_code != 0x08:
        raise ValueError(f"{path}: only unsigned byte IDX files are supported")
    shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def export(images: np.ndarray, labels: np.ndarray, per_class: int, folder: Path) -> int:
    """Write the first ``per_class`` images of each class as PNG; returns the bytes written."""
    if folder.exists():
        shutil.rmtree(folder)
    total = 0
    for label, name in enumerate(CLASSES):
        target = folder / name
        target.mkdir(parents=True)
        for n, index in enumerate(np.flatnonzero(labels == label)[:per_class]):
            path = target / f"{n:04d}.png"
            Image.fromarray(images[index], "L").save(path, optimize=True)
            total += path.stat().st_size
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-per-class", type=int, default=500)
    parser.add_argument("--val-per-class", type=int, default=100)
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if not (args.source / "train-images-idx3-ubyte.gz").exists():
        print(f"no Fashion-MNIST files in {args.source}: apt-get install dataset-fashion-mnist",
              file=sys.stderr)
        return 1
    src = args.source
    train = read_idx(src / "train-images-idx3-ubyte.gz"), read_idx(src / "train-labels-idx1-ubyte.gz")
    test = read_idx(src / "t10k-images-idx3-ubyte.gz"), read_idx(src / "t10k-labels-idx1-ubyte.gz")
    size = export(*train, args.train_per_class, args.out / "fashion")
    size += export(*test, args.val_per_class, args.out / "fashion-val")
    count = (args.train_per_class + args.val_per_class) * len(CLASSES)
    print(f"wrote {count} images, {size / 1e6:.2f} MB, to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
