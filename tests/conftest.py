"""Suite-wide: the persistent decode cache of training runs goes to a temporary folder, never the
user's ~/.cache (subprocesses inherit the setting); every test starts from the same random state."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest
import torch

from studio.engine.data.decode_store import ENV_DIR


@pytest.fixture(scope="session", autouse=True)
def _decode_cache_in_a_temporary_folder(tmp_path_factory):
    previous = os.environ.get(ENV_DIR)
    os.environ[ENV_DIR] = str(tmp_path_factory.mktemp("decode_cache"))
    yield
    if previous is None:
        os.environ.pop(ENV_DIR, None)
    else:
        os.environ[ENV_DIR] = previous


@pytest.fixture(autouse=True)
def _same_random_numbers_whatever_ran_before():
    """The global generators (random, numpy, torch: random inputs, fresh weights) start each test in the
    same state, so a result never depends on which tests ran before or in what order."""
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
