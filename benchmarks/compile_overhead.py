"""Forward+backward time of compiled templates vs equivalent hand-written ``nn.Module``s.

    .venv/bin/python benchmarks/compile_overhead.py [--repeats N]

Both models get the same weights and the same batch; their steps are interleaved (compiled,
hand-written, hand-written, compiled, ...) so load changes hit both. Printed: the median step time of
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
from figures import Figures, add_json_option
from torch import nn

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


def compare(name: str, template: str, hand: nn.Module, shape: tuple[int, ...], batch: int,
            repeats: int, figures: Figures) -> float:
    torch.manual_seed(0)
    compiled = compile_spec(create_template(template, num_classes=10, input_shape=shape), device="cpu")
    hand.load_state_dict(dict(zip(hand.state_dict(), compiled.state_dict().values(), strict=True)))
    compiled.train(), hand.train()
    x, y = torch.randn(batch, *shape), torch.randint(0, 10, (batch,))
    torch.manual_seed(1)
    a = compiled(x)
    torch.manual_seed(1)
    assert torch.allclose(a, hand(x), atol=1e-5), "the two models differ"
    for _ in range(3):  # warm-up
        step_time(compiled, x, y), step_time(hand, x, y)
    ours, theirs = [], []
    for i in range(repeats):
        pair = [(compiled, ours), (hand, theirs)]
        for model, times in pair if i % 2 == 0 else reversed(pair):
            times.append(step_time(model, x, y))
    ours_ms, theirs_ms = statistics.median(ours) * 1e3, statistics.median(theirs) * 1e3
    ratio = statistics.median(a / b for a, b in zip(ours, theirs, strict=True))
    print(f"{name:<28} compiled {ours_ms:8.2f} ms   hand-written {theirs_ms:8.2f} ms   "
          f"ratio of medians {ours_ms / theirs_ms:.3f}   median paired ratio {ratio:.3f}")
    figures.add(f"{name}: forward+backward step", ours_ms, "ms", baseline=theirs_ms,
                baseline_name="hand-written nn.Module", ratio=ratio, target="ratio <= 1.03",
                passed=ratio <= 1.03)
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=40)
    add_json_option(parser)
    args = parser.parse_args()
    figures = Figures("compile_overhead")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, forward+backward, median of "
          f"{args.repeats} interleaved steps")
    ratios = [
        compare("small_cnn 1x28x28 batch 64", "small_cnn", SmallCNN(), (1, 28, 28), 64, args.repeats,
                figures),
        compare("resnet18 3x64x64 batch 16", "resnet18", ResNet18(), (3, 64, 64), 16, args.repeats, figures),
    ]
    worst = max(ratios)
    print(f"worst ratio {worst:.3f}: target within 3% {'met' if worst <= 1.03 else 'NOT met'}")
    figures.write(args.json)


if __name__ == "__main__":
    main()
