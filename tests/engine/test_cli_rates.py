"""Rates as the command line prints them: at most four significant digits, a space, the unit."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from studio.engine.data.decode_store import ENV_DIR
from studio.engine.formatting import rate_text
from studio.engine.spec.io import save_spec
from tests.engine.image_folders import make_image_folder, tiny_cnn

RATE = re.compile(r"([\d.,]+)[kMGT]? (?:img|step)/s")


@pytest.mark.parametrize(("rate", "unit", "text"), [
    (3.14159, "it", "3.1 it/s"), (45.26, "step", "45.3 step/s"), (245.4, "img", "245 img/s"),
    (2449.73, "img", "2,450 img/s"), (9999.4, "img", "9,999 img/s"), (9999.7, "img", "10.0k img/s"),
    (24_512, "img", "24.5k img/s"), (9_942_053.93, "img", "9.94M img/s"), (345_678, "img", "346k img/s"),
    (0.4, "step", "2.5 s/step"), (None, "img", "? img/s"), (0.0, "it", "? it/s"),
    (float("inf"), "it", "? it/s"),
])
def test_rate_text(rate, unit, text):
    assert rate_text(rate, unit) == text


def significant(number: str) -> int:
    return len(number.replace(",", "").replace(".", "").lstrip("0"))


def test_studio_train_prints_short_rates(tmp_path):
    make_image_folder(tmp_path / "data", classes=3, per_class=6, size=12)
    save_spec(tiny_cnn(3, 12), tmp_path / "spec.json")
    studio = Path(sys.executable).with_name("studio")
    env = {**os.environ, ENV_DIR: str(tmp_path / "decode_cache")}  # a fresh decode: its bar shows too
    command = [str(studio), "train", str(tmp_path / "spec.json"), "--data", str(tmp_path / "data"),
               "--steps", "3", "--batch-size", "4", "--run-dir", str(tmp_path / "run"), "--device", "cpu",
               "--threads", "1"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    rates = RATE.findall(done.stderr)
    assert rates and " step/s" in done.stderr and " img/s" in done.stderr
    assert [r for r in rates if significant(r) > 4] == []
    assert not re.search(r"\d\.\d\d(?:img|step)/s", done.stderr)  # tqdm's own 9942053.93img/s
