"""Forward+backward time of compiled templates vs equivalent hand-written ``nn.Module``s.

    .venv/bin/python benchmarks/compile_overhead.py [--repeats N] [--threads N] [--only NAME ...]

The references are small_cnn and resnet18 written here by hand, and torchvision's own resnet50,
mobilenet_v3_large and vit_b_16 (restored into the template through its ``torchvision_<name>``
preset). Both models get the same weights and the same batch; their steps are interleaved (compiled,
reference, reference, compiled, ...) so load changes hit both. Printed: the median step time of
each, and the median over steps of the compiled/hand-written ratio of neighbouring steps (the figure
least disturbed by other processes).
Target: the compiled model within 3% of the hand-written one.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
import torchvision
from figures import Figures, add_json_option
from torch import nn

from studio.engine.checkpoints.presets import load_preset
from studio.engine.compiler import compile_spec
from studio.engine.templates import create_template


class SmallCNN(nn.Module):
    """The small_cnn template written by hand."""

    def __init__(self, classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.dropout = nn.Dropout(0.3)
        self.fc2 = nn.Linear(128, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = self.dropout(F.relu(self.fc1(torch.flatten(x, 1))))
        return self.fc2(x)


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(out + shortcut)


class ResNet18(nn.Module):
    """The resnet18 template written by hand (torchvision's layout)."""

    def __init__(self, classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        blocks, cin = [], 64
        for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            blocks += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
            cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
        x = self.blocks(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def step_time(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    start = time.perf_counter()
    model.zero_grad(set_to_none=True)
    F.cross_entropy(model(x), y).backward()
    return time.perf_counter() - start


def hand_written(hand: nn.Module, template: str, shape: tuple[int, ...]) -> tuple[nn.Module, nn.Module]:
    """(compiled template, ``hand``) with the compiled model's weights copied into ``hand`` in order."""
    torch.manual_seed(0)
    compiled = compile_spec(create_template(template, num_classes=10, input_shape=shape), device="cpu")
    hand.load_state_dict(dict(zip(hand.state_dict(), compiled.state_dict().values(), strict=True)))
    return compiled, hand


def torchvision_pair(name: str, shape: tuple[int, ...], **kwargs) -> tuple[nn.Module, nn.Module]:
    """(compiled template, torchvision's model) with torchvision's weights restored into the template
    through the ``torchvision_<name>`` preset (every tensor, strictly)."""
    torch.manual_seed(0)
    theirs = getattr(torchvision.models, name)(weights=None, num_classes=10, **kwargs)
    compiled = compile_spec(create_template(name, num_classes=10, input_shape=shape), device="cpu")
    mapping = load_preset(f"torchvision_{name}").mapping
    weights = {mapping.map(key): value for key, value in theirs.state_dict().items()}
    compiled.load_state_dict(weights, strict=True)
    return compiled, theirs


def compare(name: str, models: tuple[nn.Module, nn.Module], shape: tuple[int, ...], batch: int,
            repeats: int, figures: Figures, baseline_name: str = "hand-written nn.Module") -> float:
    compiled, hand = models
    x, y = torch.randn(batch, *shape), torch.randint(0, 10, (batch,))
    compiled.eval(), hand.eval()
    with torch.no_grad():
        difference = (compiled(x) - hand(x)).abs().max().item()
    assert difference <= 1e-4, f"the two models differ in eval by {difference:g}"
    compiled.train(), hand.train()
    torch.manual_seed(1)
    a = compiled(x)
    torch.manual_seed(1)
    assert torch.allclose(a, hand(x), atol=1e-4), "the two models differ in training"
    for _ in range(3):  # warm-up
        step_time(compiled, x, y), step_time(hand, x, y)
    ours, theirs = [], []
    for i in range(repeats):
        pair = [(compiled, ours), (hand, theirs)]
        for model, times in pair if i % 2 == 0 else reversed(pair):
            times.append(step_time(model, x, y))
    ours_ms, theirs_ms = statistics.median(ours) * 1e3, statistics.median(theirs) * 1e3
    ratio = statistics.median(a / b for a, b in zip(ours, theirs, strict=True))
    reference = "torchvision" if baseline_name.startswith("torchvision") else "hand-written"
    print(f"{name:<34} compiled {ours_ms:8.2f} ms   {reference} {theirs_ms:8.2f} ms   "
          f"ratio of medians {ours_ms / theirs_ms:.3f}   median paired ratio {ratio:.3f}")
    figures.add(f"{name}: forward+backward step", ours_ms, "ms", baseline=theirs_ms,
                baseline_name=baseline_name, ratio=ratio, target="ratio <= 1.03", passed=ratio <= 1.03)
    return ratio


# name -> (label, build the two models, input shape, batch, baseline name); torchvision's vit_b_16 at
# 112x112 (image_size=112: 49 patches and the class token), the template's position embedding the same
CASES = {
    "small_cnn": ("small_cnn 1x28x28 batch 64", lambda: hand_written(SmallCNN(), "small_cnn", (1, 28, 28)),
                  (1, 28, 28), 64, "hand-written nn.Module"),
    "resnet18": ("resnet18 3x64x64 batch 16", lambda: hand_written(ResNet18(), "resnet18", (3, 64, 64)),
                 (3, 64, 64), 16, "hand-written nn.Module"),
    "resnet50": ("resnet50 3x64x64 batch 4", lambda: torchvision_pair("resnet50", (3, 64, 64)),
                 (3, 64, 64), 4, "torchvision.models.resnet50"),
    "mobilenet_v3_large": ("mobilenet_v3_large 3x64x64 batch 4",
                           lambda: torchvision_pair("mobilenet_v3_large", (3, 64, 64)),
                           (3, 64, 64), 4, "torchvision.models.mobilenet_v3_large"),
    "vit_b_16": ("vit_b_16 3x112x112 batch 2",
                 lambda: torchvision_pair("vit_b_16", (3, 112, 112), image_size=112),
                 (3, 112, 112), 2, "torchvision.models.vit_b_16"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--only", nargs="+", choices=sorted(CASES), help="run only these cases")
    parser.add_argument("--threads", type=int, help="torch's intra-op threads (default: torch's own; 1 "
                        "keeps the figures steady when other processes share the cores)")
    add_json_option(parser)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    figures = Figures("compile_overhead")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, forward+backward, median of "
          f"{args.repeats} interleaved steps")
    ratios = []
    for key, (label, build, shape, batch, baseline_name) in CASES.items():
        if args.only is None or key in args.only:
            ratios.append(compare(label, build(), shape, batch, args.repeats, figures, baseline_name))
    worst = max(ratios)
    print(f"worst ratio {worst:.3f}: target within 3% {'met' if worst <= 1.03 else 'NOT met'}")
    figures.write(args.json)


if __name__ == "__main__":
    main()
