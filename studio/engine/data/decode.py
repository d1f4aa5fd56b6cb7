"""Decoding one image file into a uint8 ``(C, H, W)`` array of the model's input shape.

Odd modes are converted (grayscale, RGBA, palette, 16-bit, CMYK); anything that cannot be decoded
raises :class:`BadImage` with a reason for the data report.
"""

from __future__ import annotations

import math
import os
import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError

# Studio checks the pixel count itself (BadImage "too large"), so PIL's warning would only be noise.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

RESIZE_MODES = ("crop", "stretch")
MAX_PIXELS = 89_478_485  # PIL's own decompression-bomb limit (about 9459 x 9459)


class BadImage(Exception):
    """The file is not a usable image; ``str(exc)`` is the reason."""


def decode_image(path: str | os.PathLike, channels: int, height: int, width: int, resize: str = "crop",
                 max_pixels: int = MAX_PIXELS) -> tuple[np.ndarray, tuple[int, int], str]:
    """``(array (C, H, W) uint8, (source width, source height), source mode)`` of the file at ``path``.

    ``resize="crop"`` scales the shorter side to fit and crops the centre (no distortion);
    ``"stretch"`` scales the whole image to ``height x width``.
    """
    try:
        with Image.open(path) as image:
            size, mode = image.size, image.mode
            if size[0] * size[1] > max_pixels:
                raise BadImage(f"too large ({size[0]}x{size[1]} pixels, limit {max_pixels:,})")
            if image.format == "JPEG":
                image.draft("L" if channels == 1 else "RGB", _needed_size(size, height, width, resize))
            image.load()
            fitted = _resize(_to_channels(image, channels), height, width, resize)
            array = np.asarray(fitted, dtype=np.uint8)
    except BadImage:
        raise
    except UnidentifiedImageError:
        raise BadImage("not a readable image (unknown or corrupt format)") from None
    except Image.DecompressionBombError:
        raise BadImage("too large (PIL decompression-bomb guard)") from None
    except Exception as exc:  # PIL's plugins raise many types on corrupt files (TypeError, struct.error)
        text = str(exc) or type(exc).__name__
        if "truncated" in text:
            raise BadImage("truncated image file") from None
        raise BadImage(f"cannot decode: {text}") from None
    if array.ndim == 2:
        array = array[None]
    else:
        array = array.transpose(2, 0, 1)
    return np.ascontiguousarray(array), size, mode


def _needed_size(size: tuple[int, int], height: int, width: int, resize: str) -> tuple[int, int]:
    if resize == "stretch":
        return width, height
    scale = max(width / size[0], height / size[1])
    return math.ceil(size[0] * scale), math.ceil(size[1] * scale)


def _to_channels(image: Image.Image, channels: int) -> Image.Image:
    """Convert any PIL mode to L (1 channel) or RGB (3 channels)."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        image = _eight_bit(image)
    elif image.mode == "P":
        image = image.convert("RGBA")
    if channels == 1:
        return image if image.mode == "L" else image.convert("L")
    if channels == 3:
        return image if image.mode == "RGB" else image.convert("RGB")
    raise BadImage(f"the model input has {channels} channels; images can feed 1 (gray) or 3 (RGB)")


def _eight_bit(image: Image.Image) -> Image.Image:
    """16-bit / 32-bit / float gray images scaled to 8 bits (65535 -> 255)."""
    values = np.asarray(image).astype(np.float64)
    if image.mode == "F":
        peak = values.max(initial=0.0)
        values = values * 255.0 if peak <= 1.0 else values
    else:
        values = values / 257.0
    return Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8), mode="L")


def _resize(image: Image.Image, height: int, width: int, resize: str) -> Image.Image:
    if image.size == (width, height):
        return image
    if resize == "stretch":
        return image.resize((width, height), Image.Resampling.BILINEAR, reducing_gap=3.0)
    src_w, src_h = image.size
    scale = max(width / src_w, height / src_h)
    crop_w, crop_h = width / scale, height / scale
    left, top = (src_w - crop_w) / 2, (src_h - crop_h) / 2
    return image.resize((width, height), Image.Resampling.BILINEAR,
                        box=(left, top, left + crop_w, top + crop_h), reducing_gap=3.0)
