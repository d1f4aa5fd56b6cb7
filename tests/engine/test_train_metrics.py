"""Streaming metrics against values computed by hand, fed in several batches."""

from __future__ import annotations

import pytest
import torch

from studio.engine.training.metrics import ClassificationMetrics, RegressionMetrics

# predictions (argmax) 0, 1, 2, 0, 1, 2 for labels 0, 1, 1, 2, 1, 2
LOGITS = torch.tensor([[3.0, 1, 0], [0, 3, 1], [0, 1, 3], [3, 0, 1], [0, 3, 1], [1, 0, 3]])
LABELS = torch.tensor([0, 1, 1, 2, 1, 2])


def test_classification_metrics_by_hand():
    metrics = ClassificationMetrics(3)
    metrics.update(LOGITS[:4], LABELS[:4])
    metrics.update(LOGITS[4:], LABELS[4:])
    scalars, details = metrics.compute()
    # class 0: tp 1, fp 1, fn 0; class 1: tp 2, fp 0, fn 1; class 2: tp 1, fp 1, fn 1
    precision = [1 / 2, 2 / 2, 1 / 2]
    recall = [1 / 1, 2 / 3, 1 / 2]
    f1 = [2 * p * r / (p + r) for p, r in zip(precision, recall, strict=True)]
    assert scalars["accuracy"] == pytest.approx(4 / 6)
    assert details["precision_per_class"] == pytest.approx(precision)
    assert details["recall_per_class"] == pytest.approx(recall)
    assert details["f1_per_class"] == pytest.approx(f1)
    assert scalars["precision"] == pytest.approx(sum(precision) / 3)
    assert scalars["recall"] == pytest.approx(sum(recall) / 3)
    assert scalars["f1"] == pytest.approx(sum(f1) / 3)
    assert details["confusion"] == [[1, 0, 0], [0, 2, 1], [1, 0, 1]]
    metrics.reset()
    metrics.update(LOGITS[:1], LABELS[:1])
    assert metrics.compute()[0]["accuracy"] == 1.0


def test_top_k_accuracy_by_hand():
    metrics = ClassificationMetrics(7, top_k=2)
    logits = torch.tensor([[0.0, 5, 4, 0, 0, 0, 0], [5, 0, 0, 4, 0, 0, 0], [0, 0, 0, 0, 5, 4, 3.0]])
    metrics.update(logits, torch.tensor([2, 3, 6]))  # second best, second best, third best
    scalars, _ = metrics.compute()
    assert scalars["top2_accuracy"] == pytest.approx(2 / 3) and scalars["accuracy"] == 0.0


def test_regression_metrics_by_hand():
    metrics = RegressionMetrics(threshold=0.25)
    metrics.update(torch.tensor([1.1, 2.0]), torch.tensor([1.0, 2.5]))
    metrics.update(torch.tensor([0.5, -3.0]), torch.tensor([0.0, -2.0]))
    scalars, _ = metrics.compute()
    errors = [0.1, 0.5, 0.5, 1.0]
    assert scalars["mae"] == pytest.approx(sum(errors) / 4, rel=1e-6)
    assert scalars["mse"] == pytest.approx(sum(e * e for e in errors) / 4, rel=1e-6)
    relative = [0.1 / 1.0, 0.5 / 2.5, 1.0 / 2.0]  # the zero target has no relative error
    assert scalars["relative_error"] == pytest.approx(sum(relative) / 3, rel=1e-6)
    assert scalars["relative_error_below_0.25"] == pytest.approx(2 / 3)
