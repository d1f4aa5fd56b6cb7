"""Sizes and shapes as the window and the command line both show them."""

import pytest

from studio.engine.formatting import shape_text, size_text


@pytest.mark.parametrize(("nbytes", "text"), [
    (0, "0 B"), (999, "999 B"), (1000, "1 kB"), (12_345, "12.3 kB"), (999_999, "1 MB"),
    (3_500_000, "3.5 MB"), (1_048_576, "1.05 MB"), (123_456_789, "123 MB"), (2_000_000_000, "2 GB"),
    (5 * 10**15, "5000 TB"),
])
def test_sizes_are_decimal_with_three_significant_digits(nbytes, text):
    assert size_text(nbytes) == text


def test_shapes():
    assert shape_text((32, 28, 28)) == "32×28×28" and shape_text([8, 1, 3, 3], "x") == "8x1x3x3"
    assert shape_text(()) == "scalar" and shape_text(None) == "?"
