"""Hue shifts of RGB batches through HSV, with torchvision's definitions (``adjust_hue``)."""

from __future__ import annotations

import torch


def rgb_to_hsv(x: torch.Tensor) -> torch.Tensor:
    """``(B, 3, H, W)`` RGB in [0, 1] -> HSV, each channel in [0, 1] (hue as a fraction of the circle)."""
    r, g, b = x.unbind(1)
    value = x.amax(1)
    chroma = value - x.amin(1)
    flat = chroma == 0
    saturation = chroma / torch.where(flat, torch.ones_like(value), value)
    divisor = torch.where(flat, torch.ones_like(chroma), chroma)
    rc, gc, bc = (value - r) / divisor, (value - g) / divisor, (value - b) / divisor
    is_r = value == r
    is_g = (value == g) & ~is_r
    hue = torch.where(is_r, bc - gc, torch.where(is_g, 2.0 + rc - bc, 4.0 + gc - rc))
    hue = torch.where(flat, torch.zeros_like(hue), hue)
    return torch.stack([torch.remainder(hue / 6.0, 1.0), saturation, value], 1)


def hsv_to_rgb(x: torch.Tensor) -> torch.Tensor:
    """The inverse of :func:`rgb_to_hsv`: channel ``n`` is ``v - v*s*clamp(min(k, 4-k), 0, 1)`` with
    ``k = (n + 6h) mod 6`` for n = 5, 3, 1 (R, G, B)."""
    hue, saturation, value = (t.unsqueeze(1) for t in x.unbind(1))
    n = torch.tensor([5.0, 3.0, 1.0], device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    k = torch.remainder(n + hue * 6.0, 6.0)
    return value - value * saturation * torch.minimum(k, 4.0 - k).clamp(0.0, 1.0)


def shift_hue(x: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """Rotate the hue of each image of an RGB batch in [0, 1] by ``shift`` (``(B,)``, fractions of the
    colour circle, e.g. 0.1 = 36 degrees); gray pixels stay gray, the HSV value is kept."""
    hsv = rgb_to_hsv(x.float())
    hue = torch.remainder(hsv[:, 0] + shift.float().view(-1, 1, 1), 1.0)
    return hsv_to_rgb(torch.stack([hue, hsv[:, 1], hsv[:, 2]], 1)).to(x.dtype)
