"""A writer killed at random moments never leaves a listed checkpoint that fails to load."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time

import pytest

from studio.engine.checkpoints import CheckpointStore

WRITER = """
import sys, torch
from studio.engine.checkpoints import CheckpointStore
store = CheckpointStore(sys.argv[1], keep_last=3)
latest = store.latest()
step = first = latest.step + 1 if latest else 0
while True:
    store.save(step, {f"t{i}": torch.full((512, 1024), float(step)) for i in range(4)},
               metrics={"step": step}, training_state={"step": step, "m": torch.full((256,), float(step))})
    if step == first:
        print("saved one", flush=True)  # the kill timer starts once this process has saved
    step += 1
"""


@pytest.mark.slow
def test_sigkill_during_saves_never_breaks_listed_checkpoints(tmp_path):
    rng = random.Random(4)
    directory = tmp_path / "ckpt"
    newest = -1
    for _ in range(4):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(directory)], stdout=subprocess.PIPE,
                                text=True)
        assert proc.stdout.readline().strip() == "saved one"
        time.sleep(rng.uniform(0.2, 0.9))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        store = CheckpointStore(directory)
        infos = store.list()
        assert infos and infos[-1].step > newest  # this round's saves count, earlier ones survive
        newest = infos[-1].step
        for info in infos:  # the newest and every older one load, with the values of their step
            weights = store.load_weights(info)
            assert sorted(weights) == ["t0", "t1", "t2", "t3"]
            assert all(bool((w == info.step).all()) for w in weights.values())
            state = store.load_training_state(info)
            assert state["step"] == info.step and bool((state["m"] == info.step).all())
