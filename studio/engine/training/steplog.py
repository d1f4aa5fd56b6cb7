"""Per-step losses kept as device tensors and read back in one go (one sync per log, not per step)."""

from __future__ import annotations

import time

import torch


class StepLog:
    """Losses of the steps since the last log; ``first_bad`` finds a NaN/inf among the unchecked ones."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.totals: list[torch.Tensor] = []
        self.parts: dict[str, list[torch.Tensor]] = {}
        self.images = 0
        self.correct: list[torch.Tensor] = []  # right predictions per step (classifiers)
        self.checked = 0
        self.started = time.perf_counter()

    def add(self, total: torch.Tensor, parts: dict[str, torch.Tensor], images: int,
            correct: torch.Tensor | None = None) -> None:
        self.totals.append(total.detach())
        if correct is not None:
            self.correct.append(correct)
        for name, value in parts.items():
            self.parts.setdefault(name, []).append(value.detach())
        self.images += images

    def first_bad(self) -> int | None:
        """How many steps ago (1 = the last one) the first non-finite loss since the last check was."""
        fresh = self.totals[self.checked:]
        self.checked = len(self.totals)
        if not fresh:
            return None
        finite = torch.isfinite(torch.stack(fresh)).tolist()
        if all(finite):
            return None
        return len(fresh) - finite.index(False)

    def summary(self, world: int = 1) -> tuple[float, dict[str, float], float]:
        """``(mean loss, mean parts, images per second over all processes)``, then reset."""
        count = max(len(self.totals), 1)
        loss = float(torch.stack(self.totals).float().sum()) / count if self.totals else float("nan")
        parts = {name: float(torch.stack(values).float().sum()) / count
                 for name, values in self.parts.items()}
        seconds = max(time.perf_counter() - self.started, 1e-9)
        rate = self.images * world / seconds
        self.reset()
        return loss, parts, rate

    def accuracy(self) -> float | None:
        """Accuracy over the training batches since the last summary (call before it), or None."""
        if not self.correct or not self.images:
            return None
        return float(torch.stack(self.correct).sum()) / self.images
