"""The one numpy → QImage helper: owning copies with the right pixels."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_gui.views.qimage import to_qimage


def test_grey_uint8_and_float_give_the_same_pixels():
    a = np.arange(28 * 28, dtype=np.int64).reshape(28, 28) % 256
    q = to_qimage(a.astype(np.uint8))
    del a  # the QImage owns its bytes
    assert (q.width(), q.height()) == (28, 28) and q.pixelColor(5, 3).red() == (3 * 28 + 5) % 256
    f = to_qimage(np.full((4, 6), 0.5, np.float32))
    assert (f.width(), f.height()) == (6, 4) and f.pixelColor(0, 0).red() == 127
    assert to_qimage(np.full((2, 2), 3.0)).pixelColor(1, 1).red() == 255  # clipped to [0, 1]


def test_rgb_and_rgba():
    rgb = np.zeros((3, 5, 3), np.uint8)
    rgb[1, 2] = (10, 20, 30)
    c = to_qimage(rgb).pixelColor(2, 1)
    assert (c.red(), c.green(), c.blue()) == (10, 20, 30)
    rgba = np.zeros((3, 5, 4), np.uint8)
    rgba[2, 4] = (1, 2, 3, 255)
    c = to_qimage(rgba).pixelColor(4, 2)
    assert (c.red(), c.green(), c.blue(), c.alpha()) == (1, 2, 3, 255)


def test_other_shapes_are_refused():
    with pytest.raises(ValueError, match=r"got shape \(2, 2, 2\)"):
        to_qimage(np.zeros((2, 2, 2), np.uint8))
