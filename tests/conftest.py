"""Suite-wide: the persistent decode cache of training runs goes to a temporary folder, never the
user's ~/.cache (subprocesses inherit the setting)."""

from __future__ import annotations

import os

import pytest

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
