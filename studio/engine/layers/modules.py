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


class LayerScale(nn.Module):
    """Multiplies each channel (the first dimension after the batch) by a learned scale that starts at
    ``init_value`` (ConvNeXt's layer_scale: parameter ``layer_scale`` of shape [channels, 1, ...])."""

    def __init__(self, channels, spatial_dims=0, init_value=1e-6):
        super().__init__()
        self.channels, self.spatial_dims, self.init_value = channels, spatial_dims, init_value
        self.layer_scale = nn.Parameter(torch.full((channels,) + (1,) * spatial_dims, float(init_value)))

    def forward(self, x):
        return self.layer_scale * x


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


class LayerNorm2d(nn.LayerNorm):
    """Layer norm over the channels of [batch, channels, height, width] (torchvision's ConvNeXt
    LayerNorm2d: parameters weight and bias of shape [channels])."""

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class SqueezeExcitation(nn.Module):
    """Channel gating: x * scale_activation(fc2(activation(fc1(avgpool(x))))), fc1 and fc2 1x1
    convolutions (torchvision.ops.SqueezeExcitation, the same children and parameter names)."""

    kinds = {"relu": nn.ReLU, "relu6": nn.ReLU6, "silu": nn.SiLU, "gelu": nn.GELU,
             "hardswish": nn.Hardswish, "sigmoid": nn.Sigmoid, "hardsigmoid": nn.Hardsigmoid,
             "tanh": nn.Tanh}

    def __init__(self, input_channels, squeeze_channels, activation="relu", scale_activation="sigmoid"):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = self.kinds[activation]()
        self.scale_activation = self.kinds[scale_activation]()

    def forward(self, x):
        scale = self.fc2(self.activation(self.fc1(self.avgpool(x))))
        return x * self.scale_activation(scale)


class StochasticDepth(nn.Module):
    """While training, zeroes whole samples ("row") or the whole batch ("batch") with probability p
    and scales what is kept by 1 / (1 - p); the identity in eval (torchvision.ops.StochasticDepth)."""

    def __init__(self, p, mode="row"):
        super().__init__()
        self.p, self.mode = p, mode

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        survival = 1.0 - self.p
        size = [1] * x.dim()
        if self.mode == "row":
            size[0] = x.shape[0]
        noise = torch.empty(size, dtype=x.dtype, device=x.device).bernoulli_(survival)
        if survival > 0.0:
            noise.div_(survival)
        return x * noise


class Permute(nn.Module):
    """Reorders the dimensions of each sample (``dims`` counts from the first dimension after the
    batch: [1, 2, 0] makes [C, H, W] channels-last, [H, W, C]); the batch stays first."""

    def __init__(self, dims):
        super().__init__()
        self.dims = tuple(dims)
        self.order = [0] + [d + 1 for d in self.dims]

    def forward(self, x):
        return x.permute(self.order)


class Transpose(nn.Module):
    """Swaps two dimensions of each sample (0 = the first after the batch)."""

    def __init__(self, dim0, dim1):
        super().__init__()
        self.dim0, self.dim1 = dim0, dim1

    def forward(self, x):
        return x.transpose(self.dim0 + 1, self.dim1 + 1)


class ChannelShuffle(nn.Module):
    """Interleaves the channels of ``groups`` groups (ShuffleNet's channel_shuffle, as torchvision's)."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        batch, channels = x.shape[0], x.shape[1]
        rest = list(x.shape[2:])
        x = x.reshape([batch, self.groups, channels // self.groups] + rest)
        return x.transpose(1, 2).reshape([batch, channels] + rest)


class Select(nn.Module):
    """Takes one index along a dimension of each sample, dropping that dimension (ViT's class token
    read-out: index 0 of [tokens, dim] -> [dim])."""

    def __init__(self, dim, index):
        super().__init__()
        self.dim, self.index = dim, index

    def forward(self, x):
        return x.select(self.dim + 1, self.index)


class SelfAttention(nn.MultiheadAttention):
    """Multi-head self-attention over [batch, tokens, dim]: the attention output of
    nn.MultiheadAttention(batch_first=True) with query, key and value the input (parameters
    in_proj_weight, in_proj_bias, out_proj.weight and out_proj.bias, as torchvision ViT's
    self_attention)."""

    def __init__(self, embed_dim, num_heads, dropout=0.0):
        super().__init__(embed_dim, num_heads, dropout=dropout, batch_first=True)

    def forward(self, x):  # type: ignore[override]
        tokens = x.transpose(0, 1)
        out, _ = F.multi_head_attention_forward(
            tokens, tokens, tokens, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training, need_weights=False)
        return out.transpose(0, 1)


class PatchEmbedding(nn.Module):
    """Cuts [batch, C, H, W] into patches and projects each: [batch, (H/p)*(W/p), embed_dim]
    (torchvision ViT's conv_proj, then reshape and permute; parameters conv_proj.weight and
    conv_proj.bias)."""

    def __init__(self, in_channels, embed_dim, patch_size, bias=True):
        super().__init__()
        self.conv_proj = nn.Conv2d(in_channels, embed_dim, patch_size, stride=patch_size, bias=bias)

    def forward(self, x):
        return self.conv_proj(x).flatten(2).transpose(1, 2)


class ClassToken(nn.Module):
    """Prepends a learned token to each sample's tokens: [batch, N, D] -> [batch, N + 1, D]
    (parameter class_token of shape [1, 1, D], zeros at first, as torchvision ViT's)."""

    def __init__(self, dim):
        super().__init__()
        self.class_token = nn.Parameter(torch.zeros(1, 1, dim))

    def forward(self, x):
        return torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1)


class PositionEmbedding(nn.Module):
    """Adds a learned embedding per token position: [batch, N, D] + pos_embedding of shape
    [1, N, D] (normal with std 0.02 at first, as torchvision ViT's encoder.pos_embedding)."""

    def __init__(self, num_tokens, dim):
        super().__init__()
        self.pos_embedding = nn.Parameter(torch.empty(1, num_tokens, dim).normal_(std=0.02))

    def forward(self, x):
        return x + self.pos_embedding
