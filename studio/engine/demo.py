"""The demo project: a small Fashion-MNIST image folder shipped in ``resources/demo`` and the
small CNN sized for it (what ``studio gui --demo`` opens)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from studio.engine.errors import StudioError
from studio.engine.spec.model import ModelSpec
from studio.engine.templates import create_template

DEMO_CLASSES = ("ankle-boot", "bag", "coat", "dress", "pullover", "sandal", "shirt", "sneaker", "t-shirt",
                "trouser")


def resources_dir() -> Path:
    """``resources/`` inside the installed package when packaged there, else the repository's."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "resources", package.parent / "resources"):
        if (candidate / "demo").is_dir():
            return candidate
    raise StudioError("the demo resources are missing: run Studio from its repository (pip install -e .) "
                      "or run scripts/make_demo_dataset.py")


def demo_data_dir() -> Path:
    """The demo training images: ``fashion/<class>/<n>.png`` (28x28 grayscale, 10 classes)."""
    return resources_dir() / "demo" / "fashion"


def demo_val_dir() -> Path:
    """Held-out demo images (from the Fashion-MNIST test set), same layout."""
    return resources_dir() / "demo" / "fashion-val"


def demo_config(**changes: Any):
    """A TrainConfig for the demo (train and held-out folders, 8 epochs of Adam: 0.86-0.88 held-out
    accuracy); ``changes`` override top-level fields."""
    from studio.engine.training import TrainConfig

    config = TrainConfig.from_dict({"data": {"root": str(demo_data_dir()), "val_root": str(demo_val_dir()),
                                             "val_split": 0.0},
                                    "epochs": 8, "batch_size": 64, "log_every": 5})
    return config.replace(**changes) if changes else config


def demo_spec() -> ModelSpec:
    """The small CNN template for the demo's 10 classes and 1x28x28 images."""
    spec = create_template("small_cnn", num_classes=len(DEMO_CLASSES), input_shape=(1, 28, 28))
    spec.meta["demo"] = True
    return spec
