"""Data augmentation on whole batches on the training device (TF-Slim / Sonnet style set).

Each op draws its parameters per image from a generator reseeded from ``(seed, step)``, so a batch's
augmentation depends only on the run seed and the step: resuming reproduces it exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from studio.engine.data.color import shift_hue
from studio.engine.data.errors import DataError


@dataclass(frozen=True)
class AugmentConfig:
    """Random ops applied to training batches (validation is never augmented).

    ``brightness``: max delta added (pixels in [0, 1]); ``contrast``/``saturation``: max relative change
    (0.2 -> factor in [0.8, 1.2]); ``hue``: max hue shift as a fraction of the colour circle, at most 0.5
    (torchvision ColorJitter's ``hue``; RGB inputs only, 1-channel ones are left as they are);
    ``crop_scale``: smallest area kept by random resized crop (1 = off); ``crop_ratio``: aspect ratio
    range of the crop; ``rotation``: max degrees either way.
    """

    hflip: bool = False
    vflip: bool = False
    brightness: float = 0.0
    contrast: float = 0.0
    saturation: float = 0.0
    hue: float = 0.0
    crop_scale: float = 1.0
    crop_ratio: tuple[float, float] = (3 / 4, 4 / 3)
    rotation: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 < self.crop_scale <= 1.0:
            raise DataError(f"crop_scale must be in (0, 1], not {self.crop_scale}")
        if min(self.brightness, self.contrast, self.saturation, self.hue, self.rotation) < 0:
            raise DataError("augmentation strengths must not be negative")
        if self.hue > 0.5:
            raise DataError(f"hue must be at most 0.5 (half the colour circle), not {self.hue}")

    @property
    def enabled(self) -> bool:
        return (self.hflip or self.vflip or self.brightness > 0 or self.contrast > 0 or self.saturation > 0
                or self.hue > 0 or self.geometric)

    @property
    def geometric(self) -> bool:
        return self.crop_scale < 1.0 or self.rotation > 0


def ignored_for_channels(config: AugmentConfig, channels: int) -> str | None:
    """A warning for the data report when colour ops are set but the input has no colour."""
    names = [name for name in ("saturation", "hue") if getattr(config, name) > 0]
    if channels == 3 or not names:
        return None
    return (f"{' and '.join(names)} augmentation has no effect: the model's input has {channels} "
            "channel(s), not RGB")


class Augmenter:
    """Applies an :class:`AugmentConfig` to float batches ``(B, C, H, W)`` in [0, 1]."""

    def __init__(self, config: AugmentConfig, seed: int, device: torch.device) -> None:
        self.config = config
        self.seed = int(seed)
        self.generator = torch.Generator(device=device)

    def __call__(self, x: torch.Tensor, step: int) -> torch.Tensor:
        c = self.config
        self.generator.manual_seed((self.seed * 1_000_003 + step) % (2 ** 63))
        if c.geometric:
            x = self._affine(x)
        if c.hflip:
            x = torch.where(self._coin(x), x.flip(3), x)
        if c.vflip:
            x = torch.where(self._coin(x), x.flip(2), x)
        if c.brightness > 0:
            x = x + self._uniform(x, -c.brightness, c.brightness)
        if c.contrast > 0:
            mean = x.mean(dim=(1, 2, 3), keepdim=True)
            x = (x - mean) * self._uniform(x, 1 - c.contrast, 1 + c.contrast) + mean
        if c.saturation > 0 and x.shape[1] == 3:
            gray = (0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3])
            x = (x - gray) * self._uniform(x, 1 - c.saturation, 1 + c.saturation) + gray
        if c.hue > 0 and x.shape[1] == 3:
            x = shift_hue(x.clamp(0.0, 1.0), self._uniform(x, -c.hue, c.hue))
        if c.brightness > 0 or c.contrast > 0 or c.saturation > 0 or c.hue > 0:
            x = x.clamp(0.0, 1.0)
        return x

    def _rand(self, x: torch.Tensor) -> torch.Tensor:
        return torch.rand(x.shape[0], generator=self.generator, device=x.device)

    def _coin(self, x: torch.Tensor) -> torch.Tensor:
        return (self._rand(x) < 0.5).view(-1, 1, 1, 1)

    def _uniform(self, x: torch.Tensor, low: float, high: float) -> torch.Tensor:
        return (low + (high - low) * self._rand(x)).view(-1, 1, 1, 1).to(x.dtype)

    def _affine(self, x: torch.Tensor) -> torch.Tensor:
        """Random resized crop and rotation as one affine resampling of the batch."""
        c = self.config
        scale = c.crop_scale + (1 - c.crop_scale) * self._rand(x)
        log_lo, log_hi = math.log(c.crop_ratio[0]), math.log(c.crop_ratio[1])
        ratio = torch.exp(log_lo + (log_hi - log_lo) * self._rand(x))
        width = torch.sqrt(scale * ratio).clamp(max=1.0)
        height = torch.sqrt(scale / ratio).clamp(max=1.0)
        cx = (1 - width) * (2 * self._rand(x) - 1)
        cy = (1 - height) * (2 * self._rand(x) - 1)
        angle = math.radians(c.rotation) * (2 * self._rand(x) - 1)
        cos, sin = torch.cos(angle), torch.sin(angle)
        theta = torch.stack([torch.stack([width * cos, -height * sin, cx], 1),
                             torch.stack([width * sin, height * cos, cy], 1)], 1).to(x.dtype)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def preview_augmentations(images: np.ndarray, config: AugmentConfig, variants: int = 4,
                          seed: int = 0) -> np.ndarray:
    """``variants`` augmented copies of each uint8 image of ``images`` ``(N, C, H, W)``, as uint8
    ``(N, variants, C, H, W)`` (what the GUI shows before training)."""
    augmenter = Augmenter(config, seed, torch.device("cpu"))
    x = torch.from_numpy(np.ascontiguousarray(images)).float().div_(255)
    out = torch.stack([augmenter(x, step) for step in range(variants)], 1)
    return out.mul_(255).round_().clamp_(0, 255).to(torch.uint8).numpy()
