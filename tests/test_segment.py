"""Splitting drawings and images into digits (mnist_gui.ml.segment): hand-built strokes, no Qt."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PIL import Image

from mnist_gui.ml.images import load_image
from mnist_gui.ml.my_digits import PenStroke
from mnist_gui.ml.preprocess import normalize_digit
from mnist_gui.ml.segment import (
    DigitGroup,
    crop_groups,
    digits_from_ink,
    digits_from_strokes,
    render_strokes,
    segment_ink,
    segment_strokes,
)

PEN = 0.06  # the canvas's default brush, as a share of the canvas height
CANVAS = (3.0, 1.0)  # a canvas three times as wide as high


def S(pts, width: float = PEN, eraser: bool = False) -> PenStroke:
    return PenStroke(np.asarray(pts, np.float32).reshape(-1, 2), width, eraser)


def one(x: float) -> list[PenStroke]:
    return [S([(x, 0.2), (x, 0.8)])]


def zero(x: float, rx: float = 0.15) -> list[PenStroke]:
    t = np.linspace(0, 2 * np.pi, 40)
    return [S(np.c_[x + rx + rx * np.cos(t), 0.5 + 0.3 * np.sin(t)])]


def four(x: float) -> list[PenStroke]:  # the "L" part, then the long vertical
    return [S([(x + 0.15, 0.2), (x, 0.55), (x + 0.3, 0.55)]), S([(x + 0.22, 0.3), (x + 0.22, 0.8)])]


def five(x: float) -> list[PenStroke]:  # body, then the top bar lifted off it
    body = [(x + 0.02, 0.2), (x, 0.45), (x + 0.15, 0.42), (x + 0.25, 0.5), (x + 0.26, 0.62), (x + 0.18, 0.75), (x + 0.02, 0.78)]
    return [S(body), S([(x + 0.06, 0.18), (x + 0.28, 0.19)])]


def seven(x: float) -> list[PenStroke]:  # with a crossbar
    return [S([(x, 0.2), (x + 0.3, 0.2), (x + 0.1, 0.8)]), S([(x + 0.08, 0.5), (x + 0.3, 0.5)])]


def lefts(groups: list[DigitGroup]) -> list[float]:
    return [g.box[0] for g in groups]


@pytest.mark.parametrize("digit", [four, five, seven], ids=["two-stroke 4", "5 with a lifted bar", "7 with a crossbar"])
def test_multi_stroke_digit_is_one_group(digit) -> None:
    groups = segment_strokes(digit(0.3), CANVAS)
    assert [g.strokes for g in groups] == [(0, 1)]
    assert not groups[0].split and not groups[0].looks_like_two


def test_5_with_its_bar_drawn_clear_of_the_body_is_one_digit() -> None:
    body, _ = five(0.3)
    bar = S([(0.3 + 0.26 + 2 * PEN, 0.2), (0.3 + 0.58, 0.22)])  # starts two pen widths right of the body
    groups = segment_strokes([body, bar, *one(1.2)], CANVAS)
    assert [g.strokes for g in groups] == [(0, 1), (2,)]


def test_11_one_pen_width_apart_is_two_digits() -> None:
    groups = segment_strokes(one(0.3) + one(0.3 + 2 * PEN), CANVAS)  # ink gap = one pen width
    assert [g.strokes for g in groups] == [(0,), (1,)]
    assert groups[0].box[2] < groups[1].box[0]


def test_blank() -> None:
    assert segment_strokes([], CANVAS) == []
    assert segment_strokes([S([(0.5, 0.5), (0.6, 0.6)], eraser=True)], CANVAS) == []
    assert segment_strokes([S([(5.0, 5.0), (6.0, 6.0)])], CANVAS) == []  # outside the canvas
    assert digits_from_strokes([], CANVAS) == []
    assert segment_ink(np.zeros((50, 80))) == [] and digits_from_ink(np.zeros((50, 80))) == []


def test_dots() -> None:
    dot = S([(0.5, 0.5)])
    assert segment_strokes([dot], CANVAS) == []  # a lone click is no digit
    # a dot touching a digit joins it; one far above it (same columns) or out in the gap is dropped
    strokes = [*one(0.3), S([(0.3 + PEN, 0.8)]), S([(0.3, 0.02)]), *one(0.9), S([(0.6, 0.5)])]
    groups = segment_strokes(strokes, CANVAS)
    assert [g.strokes for g in groups] == [(0, 1), (3,)]
    assert groups[0].box[1] == pytest.approx(0.2 - PEN / 2)


def test_reading_order_is_left_to_right_whatever_the_drawing_order() -> None:
    strokes = one(2.5) + seven(1.8) + zero(1.0) + four(0.2)  # "4071" drawn right to left
    groups = segment_strokes(strokes, CANVAS)
    assert [g.strokes for g in groups] == [(4, 5), (3,), (1, 2), (0,)]
    assert lefts(groups) == sorted(lefts(groups))


def test_eraser_cutting_a_digit_in_two() -> None:
    u = S([(0.3, 0.2), (0.3, 0.8), (0.5, 0.8), (0.5, 0.2)])  # a "U": one digit ...
    assert len(segment_strokes([u], CANVAS)) == 1
    cut = S([(0.4, 0.7), (0.4, 0.9)], width=2 * PEN, eraser=True)  # ... erased at the bottom: "11"
    groups = segment_strokes([u, cut], CANVAS)
    assert [g.strokes for g in groups] == [(0, 1), (0, 1)]
    assert groups[0].box[2] < 0.4 < groups[1].box[0]
    # an eraser before the stroke does nothing; a stroke erased away entirely leaves no digit
    assert len(segment_strokes([cut, u], CANVAS)) == 1
    link = S([(0.3, 0.5), (0.9, 0.5)])  # "1 1" joined by a line, then the line erased
    gone = S([(0.36, 0.5), (0.84, 0.5)], width=2 * PEN, eraser=True)
    assert len(segment_strokes([*one(0.3), *one(0.9), link], CANVAS)) == 1
    assert [g.strokes for g in segment_strokes([*one(0.3), *one(0.9), link, gone], CANVAS)] == [(0, 2, 3), (1, 2, 3)]
    assert segment_strokes([*one(0.3), S([(0.3, 0.1), (0.3, 0.9)], width=0.2, eraser=True)], CANVAS) == []


def test_2000_strokes() -> None:
    """Five digits, each drawn as 400 short dashes, one of them crossed by an eraser: near-linear."""
    strokes = []
    for k in range(5):
        x = 0.2 + 0.55 * k
        path = np.c_[x + 0.15 + 0.15 * np.cos(np.linspace(0, 2 * np.pi, 401)), 0.5 + 0.3 * np.sin(np.linspace(0, 2 * np.pi, 401))]
        strokes += [S(path[i : i + 2]) for i in range(400)]
    strokes.append(S([(0.2, 0.5), (0.5, 0.5)], eraser=True))
    t = time.perf_counter()
    groups = segment_strokes(strokes, CANVAS)
    assert time.perf_counter() - t < 10.0  # loose: this is about not blowing up, not speed
    assert len(groups) == 5 and lefts(groups) == sorted(lefts(groups))
    assert [len(g.strokes) for g in groups] == [401, 400, 400, 400, 400]


def test_one_digit_is_normalised_exactly_as_today() -> None:
    strokes = five(1.2) + [S([(2.6, 0.1)])]  # a stray click far away is ignored
    ink = render_strokes(strokes[:2], CANVAS)
    [x] = digits_from_strokes(strokes, CANVAS, ink=ink)
    np.testing.assert_array_equal(x, normalize_digit(ink))
    [y] = digits_from_ink(ink)
    np.testing.assert_array_equal(y, normalize_digit(ink))


def test_crops_hold_only_their_own_digit() -> None:
    strokes = one(0.3) + zero(0.3 + 2 * PEN) + seven(0.9)
    ink = render_strokes(strokes, CANVAS, height_px=100)
    groups = segment_strokes(strokes, CANVAS)
    crops = crop_groups(ink, groups, CANVAS)
    assert len(crops) == 3
    for g, c in zip(groups, crops):
        own = render_strokes([strokes[i] for i in g.strokes], CANVAS, height_px=100)
        assert c.sum() == pytest.approx(own.sum())  # all of its ink, none of a neighbour's
    xs = digits_from_strokes(strokes, CANVAS)
    assert len(xs) == 3 and all(x.shape == (28, 28) and x.dtype == np.float32 for x in xs)


def _number_ink(height_px: int = 120) -> np.ndarray:
    return render_strokes(five(0.2) + zero(0.7) + one(1.2) + four(1.5) + seven(2.1), CANVAS, height_px=height_px)


@pytest.mark.parametrize("dark_on_light", [True, False])
def test_image_with_specks_both_polarities(tmp_path, dark_on_light: bool) -> None:
    ink = _number_ink()
    rng = np.random.default_rng(0)
    for y, x in zip(rng.integers(0, ink.shape[0] - 2, 40), rng.integers(0, ink.shape[1] - 2, 40)):
        ink[y : y + 2, x : x + 2] = np.maximum(ink[y : y + 2, x : x + 2], 0.8)  # noise specks
    grey = 1.0 - ink if dark_on_light else ink
    path = tmp_path / "number.png"
    Image.fromarray((grey * 255).astype(np.uint8)).save(path)
    digits = segment_ink(load_image(path))
    assert len(digits) == 5
    assert [d.box[0] for d in digits] == sorted(d.box[0] for d in digits)
    clean = segment_ink(_number_ink())
    for d, c in zip(digits, clean):  # the specks are gone: the same boxes as without noise
        assert np.abs(np.subtract(d.box, c.box)).max() <= 4  # a speck within the merge gap may join
    assert all(not d.split and not d.looks_like_two for d in digits)


def test_image_with_a_lighter_digit(tmp_path) -> None:
    ink = _number_ink()
    ink[:, : ink.shape[1] // 4] *= 0.35  # the first digit written lighter (a pencil, a photo's shade)
    path = tmp_path / "light.png"
    Image.fromarray(((1.0 - ink) * 255).astype(np.uint8)).save(path)
    assert len(segment_ink(load_image(path))) == 5


@pytest.mark.parametrize(("index", "size"), [(8, 78), (54, 63), (117, 44), (297, 105), (561, 102), (916, 64), (1808, 40), (3448, 91)])
def test_wide_mnist_digits_are_not_split(mnist, index: int, size: int) -> None:
    """Test digits once cut at a false valley (a 0 open at the top, a 4 as a U, a 6's bottom, a 5's bar)."""
    img = np.asarray(Image.fromarray(mnist.x_test[index].astype(np.float32) / 255).resize((size, size), Image.BILINEAR))
    assert len(segment_ink(img)) == 1


def _touching_zeros(bridge: float, rx: float = 0.21) -> list[PenStroke]:
    """Two 0s joined at mid-height by a link ``bridge`` long (a ligature)."""
    right = 0.3 + 2 * rx
    return [*zero(0.3, rx), *zero(right + bridge, rx), S([(right, 0.5), (right + bridge, 0.5)])]


def test_touching_digits_split_at_a_clear_valley_and_flagged() -> None:
    strokes = _touching_zeros(0.12)  # 0s one pen width apart, linked
    groups = segment_strokes(strokes, CANVAS)
    assert len(groups) == 2 and all(g.split for g in groups)
    assert groups[0].box[2] <= groups[1].box[0] + 1e-9
    digits = segment_ink(render_strokes(strokes, CANVAS))
    assert len(digits) == 2 and all(d.split for d in digits)
    assert len(digits_from_ink(render_strokes(strokes, CANVAS))) == 2


def test_wide_groups_without_a_clear_valley_are_flagged_not_split() -> None:
    overlapping = [*zero(0.3, rx=0.25), *zero(0.8, rx=0.25)]  # two 0s overlapping: no valley
    for groups in (segment_strokes(overlapping, CANVAS), segment_ink(render_strokes(overlapping, CANVAS))):
        assert len(groups) == 1 and groups[0].looks_like_two and not groups[0].split
    wide_four = [S([(0.4, 0.2), (0.2, 0.6), (1.2, 0.6)]), S([(0.9, 0.3), (0.9, 0.8)])]  # a long crossbar
    wide_zero = zero(0.3, rx=0.5)
    for strokes in (wide_four, wide_zero):
        assert len(segment_strokes(strokes, CANVAS)) == 1
        assert len(segment_ink(render_strokes(strokes, CANVAS))) == 1


def test_points_of_any_sequence_and_bad_input() -> None:
    class P:  # QPointF-like
        def __init__(self, x: float, y: float) -> None:
            self._x, self._y = x, y

        def x(self) -> float:
            return self._x

        def y(self) -> float:
            return self._y

    class Stroke:
        def __init__(self, points, width: float = PEN, eraser: bool = False) -> None:
            self.points, self.width, self.eraser = points, width, eraser

    strokes = [Stroke([P(0.3, 0.2), P(0.3, 0.8)]), Stroke([(0.9, 0.2), (float("nan"), 0.5), (0.9, 0.8)]), Stroke([])]
    assert len(segment_strokes(strokes, CANVAS)) == 2
    with pytest.raises(ValueError, match="2-D"):
        segment_ink(np.zeros((2, 3, 4)))
