"""Curve buffers stay small and keep what matters; training events and run-file records draw the same."""

import json
import math

import numpy as np
import pytest

from studio.engine.training import EvalEvent, StepEvent
from studio.ui.training.buffers import CurveBuffer, RunCurves, Smoother
from studio.ui.training.records import add_record, event_record


def test_lossless_until_full_then_bounded_with_spikes_kept():
    buffer = CurveBuffer(capacity=64)
    for i in range(64):
        buffer.append(i, i / 10, float(i % 7))
    steps, epochs, values = buffer.arrays()
    assert steps.tolist() == list(range(64)) and values.tolist() == [float(i % 7) for i in range(64)]
    rng = np.random.default_rng(0)
    raw = rng.random(100_000)
    raw[54_321], raw[77_777] = 50.0, -40.0
    buffer = CurveBuffer(capacity=512)
    for i, value in enumerate(raw):
        buffer.append(i, i / 100, value)
    steps, epochs, values = buffer.arrays()
    assert len(buffer) == 100_000
    assert len(steps) <= 512 + buffer.block  # stored points plus one pending block
    assert values.max() == 50.0 and values.min() == -40.0  # spikes survive decimation
    assert np.all(np.diff(steps) > 0) and steps[-1] == 99_999  # ordered, up to the last step
    assert np.allclose(epochs, steps / 100)


def test_nan_stays_visible_after_decimation():
    buffer = CurveBuffer(capacity=8)
    for i in range(40):
        buffer.append(i, 0, float("nan") if i == 13 else 1.0)
    assert np.isnan(buffer.arrays()[2]).any()


def test_truncate_drops_points_after_a_resume_step():
    buffer = CurveBuffer(capacity=8)
    for i in range(30):
        buffer.append(i, 0, i)
    version = buffer.version
    buffer.truncate(12)
    steps = buffer.arrays()[0]
    assert steps.max() <= 12 and buffer.version > version
    buffer.append(13, 0, 13)
    assert buffer.arrays()[0][-1] == 13


def test_value_at_finds_the_nearest_drawn_point():
    buffer = CurveBuffer(capacity=8)
    for step in (0, 10, 20):
        buffer.append(step, step / 10, step * 2)
    assert buffer.value_at(11) == (10.0, 20.0)
    assert buffer.value_at(1.6, column=1) == (2.0, 40.0)  # (epoch, value)


def test_smoother_is_debiased_like_tensorboard():
    smooth = Smoother(0.9)
    assert smooth(2.0) == pytest.approx(2.0)  # no pull towards 0 at the start
    values = [smooth(2.0) for _ in range(10)]
    assert values[-1] == pytest.approx(2.0)
    assert math.isnan(smooth(float("nan")))


def test_events_and_metrics_file_records_give_the_same_curves():
    events = [StepEvent(10, 0.5, 1.5, {}, 0.01, 800.0), StepEvent(20, 1.0, 1.2, {}, 0.01, 820.0),
              EvalEvent(20, 1.0, {"val/loss": 1.3, "val/accuracy": 0.6}, {"val/confusion": [[1, 0], [0, 1]]})]
    from_events, from_file = RunCurves(), RunCurves()
    for event in events:
        add_record(from_events, event_record(event))
        add_record(from_file, json.loads(json.dumps(event_record(event))))  # as metrics.jsonl stores it
    assert set(from_events.buffers) == {"train/loss", "train/loss:raw", "lr", "images_per_s",
                                        "images_per_s:raw", "val/loss", "val/accuracy"}
    for name, buffer in from_events.buffers.items():
        for ours, theirs in zip(buffer.arrays(), from_file.buffers[name].arrays(), strict=True):
            assert np.array_equal(ours, theirs)
    assert from_events.buffers["train/loss:raw"].arrays()[2].tolist() == [1.5, 1.2]
    add_record(from_events, {"kind": "resume", "step": 10})
    assert from_events.buffers["val/accuracy"].arrays()[0].size == 0
