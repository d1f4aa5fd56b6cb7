"""A folder where a tenth of the images are broken trains without stopping, and the data report lists
exactly the broken files (``benchmarks/faults.py`` does the same with 10,000 images)."""

from __future__ import annotations

import io
import json

import numpy as np
from PIL import Image

from studio.cli import main
from studio.engine.data import decode_image
from studio.engine.data.decode import BadImage
from studio.engine.runs import RunReader
from studio.engine.spec.io import save_spec
from tests.engine.faults import BROKEN_KINDS, seed_broken_folder
from tests.engine.image_folders import tiny_cnn


def test_a_folder_with_a_tenth_broken_trains_and_reports_them(tmp_path, capsys):
    broken, odd = seed_broken_folder(tmp_path / "data", classes=4, per_class=50, broken_fraction=0.1, size=12)
    assert len(broken) == 20 and len(odd) == 6
    save_spec(tiny_cnn(4, 12), tmp_path / "spec.json")
    run = tmp_path / "run"
    code = main(["train", str(tmp_path / "spec.json"), "--data", str(tmp_path / "data"), "--epochs", "1",
                 "--batch-size", "16", "--run-dir", str(run), "--device", "cpu", "--threads", "1", "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "finished" and result["reason"] == "completed"

    report = RunReader(run).data_report()
    skipped = {item["path"]: item["reason"] for item in report["skipped"]}
    assert set(skipped) == {str(path) for path in broken}
    reasons = {kind: skipped[str(path)] for kind, path in zip(BROKEN_KINDS * 4, broken, strict=False)}
    assert reasons["truncated"] == "truncated image file"
    assert reasons["zero-byte"] == "empty file (0 bytes)"
    assert reasons["not an image"] == "not an image file (.txt)"
    assert report["num_train"] + report["num_val"] == 200 - 20  # odd modes are used, not skipped
    assert {"RGBA", "P", "I;16", "CMYK", "1", "LA"} <= set(report["modes"])
    assert "skipped 20 file(s)" in (run / "log.txt").read_text()


def test_a_corrupt_tiff_is_a_bad_image_not_a_crash(tmp_path):
    """Found by fuzzing the decoder: one flipped bit in a TIFF's resolution tag made PIL raise TypeError,
    which stopped the whole data preparation."""
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (16, 16, 3), np.uint8)).save(buffer, "TIFF",
                                                                                            dpi=(72, 72))
    data = bytearray(buffer.getvalue())
    data[72] ^= 1
    (tmp_path / "bad.tif").write_bytes(bytes(data))
    try:
        decode_image(tmp_path / "bad.tif", 1, 8, 8)
    except BadImage as exc:
        assert "cannot decode" in str(exc)
