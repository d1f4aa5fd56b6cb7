"""Small ``nn.Module`` classes for layers PyTorch lacks as modules.

Each class is self-contained (only ``torch`` imports) because the code generator copies its source
into generated model files.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class SeparableConv2d(nn.Module):
    """Depthwise convolution followed by a 1x1 pointwise convolution (TF-Slim separable_conv2d)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 depth_multiplier=1, bias=True):
        super().__init__()
        mid = in_channels * depth_multiplier
        self.depthwise = nn.Conv2d(in_channels, mid, kernel_size, stride=stride, padding=padding,
                                   dilation=dilation, groups=in_channels, bias=False)
        self.pointwise = nn.Conv2d(mid, out_channels, 1, bias=bias)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


class InPlaneConv2d(nn.Module):
    """One kernel applied to every channel on its own (TF-Slim conv2d_in_plane)."""

    def __init__(self, kernel_size, stride=1, padding=0, bias=True):
        super().__init__()
        kernel_size = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
        self.stride, self.padding = stride, padding
        self.weight = nn.Parameter(torch.empty(1, 1, *kernel_size))
        self.bias = nn.Parameter(torch.zeros(1)) if bias else None
        nn.init.kaiming_uniform_(self.weight, a=5 ** 0.5)

    def forward(self, x):
        channels = x.shape[1]
        weight = self.weight.expand(channels, 1, self.weight.shape[2], self.weight.shape[3])
        bias = self.bias  # (a local, so that TorchScript can refine the Optional)
        spread = bias.expand(channels) if bias is not None else None
        return F.conv2d(x, weight, spread, stride=self.stride, padding=self.padding, groups=channels)


class BiasAdd(nn.Module):
    """Adds a learned bias per channel (the first dimension after the batch)."""

    def __init__(self, channels, spatial_dims=0):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))
        self.view = (1, channels) + (1,) * spatial_dims

    def forward(self, x):
        return x + self.bias.view(self.view)


class UnitNorm(nn.Module):
    """Scales each sample to unit L2 norm along ``dim`` (1 = channels)."""

    def __init__(self, dim=1, eps=1e-12):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x):
        return F.normalize(x, p=2.0, dim=self.dim, eps=self.eps)


class OneHot(nn.Module):
    """Turns integer class indices into float one-hot vectors."""

    def __init__(self, num_classes):
        super().__init__()
        self.num_classes = num_classes

    def forward(self, x):
        return F.one_hot(x.long(), self.num_classes).float()


class Add(nn.Module):
    """Element-wise sum of all inputs (given as one list, which TorchScript can script)."""

    takes_list = True

    def forward(self, xs: list[torch.Tensor]) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class Multiply(nn.Module):
    """Element-wise product of all inputs (given as one list)."""

    takes_list = True

    def forward(self, xs: list[torch.Tensor]) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out


class Concat(nn.Module):
    """Concatenation of all inputs (given as one list) along ``dim`` (1 = channels)."""

    takes_list = True

    def __init__(self, dim=1):
        super().__init__()
        self.dim = dim

    def forward(self, xs: list[torch.Tensor]) -> torch.Tensor:
        return torch.cat(xs, dim=self.dim)


class Reshape(nn.Module):
    """Reshapes each sample to ``shape`` (the batch dimension is kept)."""

    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)
