"""Image-folder data: scanning with label rules, decoding once into a uint8 cache, splits,
normalisation, batch assembly and on-device augmentation. No Qt, no per-image Python work per step.

    index = scan_image_folder("photos")              # files, labels, class names, skipped files
    cache = load_images(index.paths(), (3, 64, 64))  # cache.images: (N, 3, 64, 64) uint8, cache.ok
    data = prepare_image_data(DataConfig("photos"), (3, 64, 64))  # the whole pipeline + report
"""

from studio.engine.data.augment import AugmentConfig, Augmenter
from studio.engine.data.batches import BatchLoader, batch_bounds, epoch_order
from studio.engine.data.cache import ImageCache, load_images
from studio.engine.data.dataset import DataConfig, ImageData, Subset, prepare_image_data
from studio.engine.data.decode import BadImage, decode_image
from studio.engine.data.errors import DataError
from studio.engine.data.labels import LabelRule
from studio.engine.data.normalize import Normalization, resolve_normalization
from studio.engine.data.report import DataReport
from studio.engine.data.scan import DatasetIndex, SkippedFile, scan_image_folder
from studio.engine.data.split import Split, load_split, save_split, stratified_split

__all__ = [
    "AugmentConfig", "Augmenter", "BadImage", "BatchLoader", "DataConfig", "DataError", "DataReport",
    "DatasetIndex", "ImageCache", "ImageData", "LabelRule", "Normalization", "SkippedFile", "Split", "Subset",
    "batch_bounds", "decode_image", "epoch_order", "load_images", "load_split", "prepare_image_data",
    "resolve_normalization", "save_split", "scan_image_folder", "stratified_split",
]
