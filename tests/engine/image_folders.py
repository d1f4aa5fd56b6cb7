"""Real image folders on disk for the data and training tests: small learnable patterns."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from studio.engine.spec.builder import SpecBuilder


def pattern(label: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """A ``size x size`` uint8 image whose bright region depends on ``label`` (plus noise)."""
    image = rng.normal(60, 25, (size, size))
    half = size // 2
    region = [np.s_[:, :half], np.s_[:, half:], np.s_[:half, :], np.s_[half:, :]][label % 4]
    image[region] += 120
    return np.clip(image, 0, 255).astype(np.uint8)


def make_image_folder(root: Path, classes: int = 3, per_class: int = 12, size: int = 12,
                      mode: str = "L", seed: int = 0, names: tuple[str, ...] | None = None) -> Path:
    """``root/<class>/<i>.png`` with learnable patterns; returns ``root``."""
    rng = np.random.default_rng(seed)
    names = names or tuple(f"c{i}" for i in range(classes))
    for label, name in enumerate(names):
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            gray = pattern(label, size, rng)
            image = Image.fromarray(gray, "L")
            if mode != "L":
                image = image.convert(mode)
            image.save(folder / f"{i}.png")
    return root


def tiny_cnn(classes: int = 3, size: int = 12, channels: int = 1, dropout: float = 0.0):
    """A small conv net spec for ``channels x size x size`` inputs."""
    b = SpecBuilder("tiny")
    x = b.input("image", [channels, size, size])
    x = b.layer("conv1", "conv2d", x, out_channels=8, kernel_size=3, padding="same", activation="relu")
    x = b.layer("pool1", "max_pool2d", x, kernel_size=2)
    x = b.layer("flatten", "flatten", x)
    if dropout:
        x = b.layer("drop", "dropout", x, p=dropout)
    x = b.layer("fc", "fully_connected", x, out_features=classes)
    b.output("logits", x)
    return b.build()


UNDECODABLE = (b"\xff\xfe.png", b"caf\xe9 1.png")  # file names that are not UTF-8 (Latin-1, raw bytes)


def give_undecodable_names(root: Path, class_folder: str | None = "c2") -> list[str]:
    """Rename the first images of every class folder under ``root`` to names that are not UTF-8 (and
    ``class_folder`` to ``cl\\xe4ss2``); returns the new names as Python gives them (surrogates).
    Raises OSError where the file system refuses such names (macOS, Windows)."""
    base = os.fsencode(root)
    if class_folder is not None:
        os.rename(base + b"/" + os.fsencode(class_folder), base + b"/cl\xe4ss2")
    renamed = []
    for folder in sorted(os.listdir(base)):
        images = sorted(name for name in os.listdir(base + b"/" + folder) if name.endswith(b".png"))
        for old, new in zip(images, UNDECODABLE, strict=False):
            os.rename(base + b"/" + folder + b"/" + old, base + b"/" + folder + b"/" + new)
            renamed.append(os.fsdecode(folder + b"/" + new))
    return renamed
