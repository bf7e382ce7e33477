"""Where the 28×28 model input lies on the drawing it came from, and the saliency drawn back over the ink
(``normalize_digit_frame``, ``group_windows``, ``InkDigit.origin``, ``ink_tint_rgba``): numpy only, no Qt."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_gui.ml.my_digits import PenStroke
from mnist_gui.ml.preprocess import normalize_digit, normalize_digit_frame
from mnist_gui.ml.segment import crop_groups, group_windows, render_strokes, segment_ink, segment_strokes
from mnist_gui.views.saliency_image import ink_tint_rgba


def _disk(shape, cy, cx, r):
    ys, xs = np.indices(shape)
    return ((ys - cy) ** 2 + (xs - cx) ** 2 <= r * r).astype(np.float32)


def _back_on_source(x: np.ndarray, frame, shape) -> np.ndarray:
    """The 28×28 input laid back on the source grid with the frame (nearest input pixel)."""
    rows = np.floor((np.arange(shape[0]) + 0.5 - frame.top) / frame.step_y).astype(int)
    cols = np.floor((np.arange(shape[1]) + 0.5 - frame.left) / frame.step_x).astype(int)
    inside = (rows[:, None] >= 0) & (rows[:, None] < 28) & (cols[None, :] >= 0) & (cols[None, :] < 28)
    return np.where(inside, x[np.clip(rows, 0, 27)][:, np.clip(cols, 0, 27)], 0.0)


@pytest.mark.parametrize("shape, pieces", [
    ((200, 300), [(60, 200, 25), (140, 220, 18)]),  # a blob off-centre: the frame shifts and scales it back
    ((90, 60), [(20, 15, 6), (70, 45, 9)]),  # taller than wide
    ((400, 400), [(200, 100, 40), (200, 300, 40)]),  # wide: fitted by its width
])
def test_the_frame_lays_the_input_back_on_the_ink(shape, pieces):
    img = np.zeros(shape, np.float32)
    for cy, cx, r in pieces:
        img = np.maximum(img, _disk(shape, cy, cx, r))
    x, frame = normalize_digit_frame(img)
    np.testing.assert_array_equal(x, normalize_digit(img))  # the same input as before
    back = _back_on_source(x, frame, shape) > 0.3
    ink = img > 0.5
    iou = (back & ink).sum() / (back | ink).sum()
    # not 1: the width correction thins or thickens strokes; a frame off by one input pixel gives 0.46–0.60
    assert iou > 0.7, f"the input drawn back covers the ink it came from (IoU {iou:.2f})"
    centre_back = np.argwhere(back).mean(0)
    centre_ink = np.argwhere(ink).mean(0)
    assert np.abs(centre_back - centre_ink).max() < max(frame.step_y, frame.step_x), "placed where the ink is"
    # and the scale is the fit's: 20 input pixels span the ink's longer side
    top, left = np.argwhere(ink).min(0)
    bottom, right = np.argwhere(ink).max(0) + 1
    assert max(frame.step_y * 20, frame.step_x * 20) == pytest.approx(max(bottom - top, right - left), rel=0.1)


def test_a_blank_image_has_no_frame():
    x, frame = normalize_digit_frame(np.zeros((50, 50)))
    assert frame is None and not x.any()


def test_windows_are_where_the_crops_come_from():
    strokes = [PenStroke(np.array([[0.3, 0.2], [0.3, 0.8]], np.float32), 0.06, False),
               PenStroke(np.array([[1.3, 0.2], [1.7, 0.2], [1.4, 0.8]], np.float32), 0.06, False)]
    size = (3.0, 1.0)
    ink = render_strokes(strokes, size)
    groups = segment_strokes(strokes, size)
    crops = crop_groups(ink, groups, size)
    windows = group_windows(ink.shape, groups, size)
    assert len(crops) == len(windows) == 2
    for crop, (r0, r1, c0, c1) in zip(crops, windows):
        np.testing.assert_array_equal(crop, ink[r0:r1, c0:c1])


def test_an_ink_digit_knows_where_its_crop_lies():
    img = np.zeros((100, 300), np.float32)
    img[20:80, 40:50] = 1.0  # a 1
    img[30:70, 180:240] = _disk((40, 60), 20, 30, 18)  # an 0-ish blob
    digits = segment_ink(img)
    assert len(digits) == 2
    for d in digits:
        r0, c0 = d.origin
        h, w = d.crop.shape
        window = img[r0 : r0 + h, c0 : c0 + w]
        kept = d.crop > 0
        np.testing.assert_array_equal(d.crop[kept], window[kept])  # the crop is that part of the image
        left, top, right, bottom = d.box
        assert r0 <= top and c0 <= left and r0 + h >= bottom and c0 + w >= right


def test_tint_colours_the_ink_where_the_map_is_and_nothing_else():
    raster = np.zeros((120, 200), np.float32)
    raster[30:90, 60:70] = 1.0  # an upright stroke
    raster[5:10, 150:190] = 1.0  # ink of something else, outside this digit's frame
    x, frame = normalize_digit_frame(raster[:, :120])
    assert frame is not None
    sal = np.zeros((28, 28), np.float32)
    sal[x > 0.5] = 1.0
    rows = np.flatnonzero(x.max(1) > 0.5)
    sal[rows[: len(rows) // 2]] *= -1  # the upper half of the stroke argues against
    sal[x <= 0.5] = 0.0
    rgba = ink_tint_rgba(raster, [(sal, tuple(frame))])
    assert rgba.shape == (120, 200, 4)
    assert not rgba[raster == 0, 3].any(), "paper stays untouched"
    assert not rgba[5:10, 150:190, 3].any(), "ink outside the digit's frame is not coloured"
    upper, lower = rgba[35:55, 62:68], rgba[65:85, 62:68]
    assert (upper[..., 3] > 100).all() and (lower[..., 3] > 100).all()
    assert (upper[..., 2] > upper[..., 0]).all(), "evidence against is blue"
    assert (lower[..., 0] > lower[..., 2]).all(), "evidence for is red"


def test_no_maps_no_tint():
    assert not ink_tint_rgba(np.ones((10, 10), np.float32), [])[..., 3].any()
