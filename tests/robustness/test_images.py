"""Bad and unusual image files: a clear ImageError or a correct reading, never a crash."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mnist_gui.errors import ImageError
from mnist_gui.ml.images import load_image
from mnist_gui.ml.preprocess import normalize_digit


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_header_only(w: int, h: int) -> bytes:
    """A PNG that claims w×h pixels but carries (almost) no pixel data: what a decompression bomb looks like up front."""
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + _chunk(b"IEND", b"")


def test_not_an_image(tmp_path):
    p = tmp_path / "x.png"
    p.write_text("hello")
    with pytest.raises(ImageError, match="not an image"):
        load_image(p)


def test_truncated_png(tmp_path, mnist):
    p = tmp_path / "t.png"
    Image.fromarray(mnist.x_test[0]).resize((200, 200)).save(p)
    p.write_bytes(p.read_bytes()[:150])
    with pytest.raises(ImageError, match="damaged or truncated"):
        load_image(p)


def test_zero_by_zero(tmp_path):
    p = tmp_path / "zero.png"
    p.write_bytes(_png_header_only(0, 0))
    with pytest.raises(ImageError):
        load_image(p)


def test_huge_dimensions_refused_before_decoding(tmp_path):
    p = tmp_path / "bomb.png"
    p.write_bytes(_png_header_only(100_000, 100_000))
    with pytest.raises(ImageError, match="too large"):
        load_image(p)


def test_one_by_one(tmp_path):
    p = tmp_path / "one.png"
    Image.fromarray(np.array([[0]], np.uint8)).save(p)
    img = load_image(p)
    assert img.shape == (1, 1)


def test_sixteen_bit(tmp_path, mnist):
    p = tmp_path / "16.png"
    a = (mnist.x_test[0].astype(np.uint16) * 257)
    Image.fromarray(a).save(p)  # uint16 → a 16-bit greyscale PNG
    img = load_image(p)
    assert img.shape == (28, 28) and abs(float(img.max()) - 1.0) < 1e-6
    assert np.corrcoef(img.ravel(), mnist.x_test[0].ravel())[0, 1] > 0.99


def test_rgba_transparent_background(tmp_path, mnist):
    p = tmp_path / "rgba.png"
    rgba = np.zeros((28, 28, 4), np.uint8)
    rgba[..., 3] = mnist.x_test[0]  # black ink, opacity = ink
    Image.fromarray(rgba, "RGBA").save(p)
    img = load_image(p)
    assert np.corrcoef(img.ravel(), mnist.x_test[0].ravel())[0, 1] > 0.99


def test_animated_gif_uses_first_frame(tmp_path, mnist):
    p = tmp_path / "anim.gif"
    frames = [Image.fromarray(255 - mnist.x_test[i]) for i in range(3)]
    frames[0].save(p, save_all=True, append_images=frames[1:], duration=100, loop=0)
    img = load_image(p)
    assert np.corrcoef(img.ravel(), mnist.x_test[0].ravel())[0, 1] > 0.95


def test_missing_file(tmp_path):
    with pytest.raises(ImageError, match="no such file"):
        load_image(tmp_path / "nope.png")


# --- Shapes that cannot be a digit, and the memory they may take (issue 14, defect 6) -------------------

_BOUNDED = r"""
import json, resource, sys

import numpy as np
from PIL import Image  # noqa: F401  the baseline: numpy and Pillow imported, nothing of the app yet


def address_space() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))


resource.setrlimit(resource.RLIMIT_AS, (address_space() + int(sys.argv[1]), resource.getrlimit(resource.RLIMIT_AS)[1]))
from mnist_gui.errors import ImageError
from mnist_gui.ml.images import load_image
from mnist_gui.ml.preprocess import normalize_digit
from mnist_gui.ml.preprocess import normalize_digit

for arg in sys.argv[2:]:
    if arg.startswith("ones:"):  # an array given to the preprocessing directly, as the canvas and the CLI do
        h, w = map(int, arg[5:].split("x"))
        x = normalize_digit(np.ones((h, w), np.float32))
        print(json.dumps({"arg": arg, "rows": int(x.any(1).sum()), "cols": int(x.any(0).sum())}))
        continue
    try:
        x = normalize_digit(load_image(arg))
    except ImageError as exc:
        print(json.dumps({"arg": arg, "refused": str(exc)}))
    else:
        print(json.dumps({"arg": arg, "rows": int(x.any(1).sum()), "cols": int(x.any(0).sum())}))
"""

ADDRESS_SPACE_ABOVE_BASELINE = 1_500_000_000  # the old resampler needed 3.2 GB for a 1×5,000,000 image


def _run_bounded(*args: str) -> list[dict]:
    """Read images (or normalise arrays) in a child process whose address space is capped."""
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", _BOUNDED, str(ADDRESS_SPACE_ABOVE_BASELINE), *args], cwd=root,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(root)})
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    return [json.loads(line) for line in proc.stdout.splitlines()]


def _line_png(path: Path, w: int, h: int) -> Path:
    """A dark line on white, w×h (one of them 1): a few KB as a PNG however long."""
    im = Image.new("L", (w, h), 255)
    im.paste(0, (w // 3, h // 3, max(w * 2 // 3, 1), max(h * 2 // 3, 1)))
    im.save(path)
    return path


linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc: Linux")


@linux_only
def test_thin_images_are_refused_within_bounded_memory(tmp_path):
    wide = _line_png(tmp_path / "wide.png", 5_000_000, 1)
    tall = _line_png(tmp_path / "tall.png", 1, 5_000_000)
    assert wide.stat().st_size < 50_000 and tall.stat().st_size < 50_000
    results = _run_bounded(str(wide), str(tall))
    for r, name in zip(results, ("wide.png", "tall.png")):
        assert "refused" in r, r
        assert name in r["refused"] and "too thin to be a digit" in r["refused"] and "5,000,000 times" in r["refused"]


@linux_only
def test_thin_arrays_are_normalised_within_bounded_memory():
    """The preprocessing itself no longer builds arrays of n_in × n_out (a drawn line can be as thin)."""
    wide, tall = _run_bounded("ones:1x5000000", "ones:5000000x1")
    assert wide["cols"] >= 18 and wide["rows"] <= 4  # a horizontal bar across the 20-pixel box
    assert tall["rows"] >= 18 and tall["cols"] <= 4


def test_extreme_but_legitimate_aspect_is_read_and_beyond_it_refused(tmp_path):
    """Decided: up to 100:1 is read (20×2000, a tall "1"); beyond, a clear refusal before decoding."""
    for w, h in ((20, 2000), (2000, 20)):
        a = np.full((h, w), 255, np.uint8)
        a[h // 20 : -h // 20, w // 20 : -w // 20] = 0  # a dark bar, the long way
        Image.fromarray(a).save(tmp_path / f"{w}x{h}.png")
        x = normalize_digit(load_image(tmp_path / f"{w}x{h}.png"))
        long_side, short_side = (x.any(1).sum(), x.any(0).sum()) if h > w else (x.any(0).sum(), x.any(1).sum())
        assert long_side >= 18 and short_side <= 4, (w, h)
    Image.new("L", (19, 2000), 255).save(tmp_path / "thin.png")
    with pytest.raises(ImageError, match=r"thin\.png: 19×2000 pixels is too thin to be a digit.*105 times.*at most 100"):
        load_image(tmp_path / "thin.png")


def test_longest_side_is_refused_from_the_header(tmp_path):
    p = tmp_path / "long.png"
    p.write_bytes(_png_header_only(20_001, 1_000))  # 20 megapixels, 20:1, but a side past 20,000
    with pytest.raises(ImageError, match="20001×1000 pixels is too large .each side at most 20,000 pixels"):
        load_image(p)


# --- Normal images read as before -------------------------------------------------------------------------

def _strokes(h: int, w: int, points: list[tuple[float, float]], width: float) -> np.ndarray:
    """Anti-aliased polyline (relative coordinates) in [0, 1], numpy only so it never changes with a library."""
    ys, xs = np.mgrid[0:h, 0:w] + 0.5
    dist = np.full((h, w), np.inf)
    for (u0, v0), (u1, v1) in zip(points, points[1:]):
        x0, y0, dx, dy = u0 * w, v0 * h, (u1 - u0) * w, (v1 - v0) * h
        t = np.clip(((xs - x0) * dx + (ys - y0) * dy) / (dx * dx + dy * dy), 0, 1)
        dist = np.minimum(dist, np.hypot(xs - x0 - t * dx, ys - y0 - t * dy))
    return np.clip(width / 2 + 0.5 - dist, 0, 1)


def _save_synthetic_digits(folder: Path) -> dict[str, Path]:
    """A few files of the kinds people open: canvas-sized, paper scans, transparent, 16-bit, a large photo."""
    u8 = lambda a: np.round(a * 255).astype(np.uint8)  # noqa: E731
    ys, xs = np.mgrid[0:300, 0:240] + 0.5
    ring = np.clip(9.5 - np.abs(np.hypot((xs - 120) / 0.75, ys - 150) - 100), 0, 1)
    four = _strokes(1200, 900, [(0.6, 0.85), (0.6, 0.15), (0.2, 0.6), (0.8, 0.6)], 60)
    paper = 0.85 + 0.05 * np.sin(np.arange(900)[None, :] / 37.0) * np.cos(np.arange(1200)[:, None] / 53.0)  # uneven light
    rgba = np.zeros((600, 90, 4), np.uint8)
    rgba[..., 3] = u8(_strokes(600, 90, [(0.55, 0.05), (0.45, 0.95)], 14))
    images = {
        "canvas_seven.png": Image.fromarray(u8(_strokes(168, 168, [(0.3, 0.25), (0.7, 0.25), (0.45, 0.8)], 10))),
        "paper_zero.png": Image.fromarray(np.stack([u8(1 - 0.9 * ring)] * 3, axis=-1)),
        "transparent_one.png": Image.fromarray(rgba, "RGBA"),
        "photo_four.png": Image.fromarray(u8(paper * (1 - 0.8 * four))),
        "sixteen_bit_two.png": Image.fromarray((_strokes(200, 150, [(0.2, 0.3), (0.5, 0.15), (0.8, 0.35), (0.2, 0.85), (0.85, 0.85)], 12)
                                                * 65535).astype(np.uint16)),
    }
    for name, im in images.items():
        im.save(folder / name)
    return {name: folder / name for name in images}


# normalize_digit(load_image(file)) from the code before the sparse resampler, as uint8 (zlib, base64).
_BEFORE = {
    "canvas_seven.png": "eNpjYBgmYOd/ZLATRW71BwT4+f8ILiOYjv0PwSVn++82Ky65df/zcEmp/X7Nj0tuyv8OXFIiX7/J4JKr/r8QlxTX0z8GuOSS/u/CJcV88b87LjmP/5cZcUgx7v6fgEub0d8nHLjkFv2vwiUl++OjKC65jv+TcUmxv/+litNze/tJSUYAFElBLw==",
    "paper_zero.png": "eNpjYBggoH/iPwic0MeUcvnyHwK+uGDoAkrtCNEL2QGURNPJcuH/n2QwK/nP/wssKHIx//9XQ5nV///HoMgd/n+LFcpkvfX/MIrcn/+5cHbu/z8ocv//ycLZsv/+o8o9Q+I8Q5M7icQ5SYIcPjPxuAWfH/D5HV+Y4QtrfHGEN27xpgl6AQDDHXUR",
    "transparent_one.png": "eNpjYBhI8H9UblSOBDnaAwCGMhPt",
    "photo_four.png": "eNrFkTtOxDAURdMO+ZEoxO/ZzseuaCkQ86nYBLtgC/TULIYGUUCBREdHBSF0iAZRIM3ENk4q7KEfS6c6kn11HAS7OBGIKkbBJ6hwHAMgf3CcrCOUVXT8cRNRyfcc1/J9aFl2Z/oUW5o6riAVLciFGroaC6gdNwN76+pHr19kFTLpuJw09ODRPA9dgzk0jmtYBpfq68z0GbQ083eervX5wrxv7+TInvQtOdFvJXAoHRfDlf48EsvNq2CJ1yVcDnqjzMS953DxrQallbI8ADpO1LFtFk9bBA9dV6UgeDI3fYL2RceVhKNlrjq7Evh2M5Qr24xHXrOMjGXaw/7aVkG/2VjUlhzB/J+/DekEnwW7Ob/QSVeY",
    "sixteen_bit_two.png": "eNpjYKAlYC79/v+VCVYppYP/geCjE6YMY8qn//8/b/z//0cwhtwmoJ7DKgyN//7/TkWXA2qoYAHSOX/+/6tEk/t2wQDCiPz5/38UqhwrE5QhdOv//zTsHuEAunYDC1YppqX//5/kxq6t7f//e+LYpdL+/3+riV3K69f/7w7YpYw+/v8Xg11K7vH//1XYpfgv/v8/ixGrFNuu//+3sWKVYpz7//95fuwm1v7//9xABAr4UOX+/UcCP9HjCBkwDD4AAAM3bXs=",
}


def test_normal_images_give_the_same_28x28_as_before(tmp_path):
    import base64

    for name, path in _save_synthetic_digits(tmp_path).items():
        before = np.frombuffer(zlib.decompress(base64.b64decode(_BEFORE[name])), np.uint8).reshape(28, 28) / 255.0
        now = normalize_digit(load_image(path))
        assert np.abs(now - before).mean() <= 1 / 255, name
        assert np.abs(now - before).max() <= 2 / 255, name  # the reference is rounded to bytes


def _dense_area_resample(img: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The resampler as it was: two dense (n_out, n_in) matrices (fine for small arrays only)."""
    def matrix(n_in: int, n_out: int) -> np.ndarray:
        edges = np.linspace(0.0, n_in, n_out + 1)
        w = np.clip(np.minimum(edges[1:, None], np.arange(1, n_in + 1)) - np.maximum(edges[:-1, None], np.arange(n_in)), 0, None)
        return w / w.sum(axis=1, keepdims=True)
    return matrix(img.shape[0], shape[0]) @ img.astype(np.float64) @ matrix(img.shape[1], shape[1]).T


def test_resampling_matches_exact_area_averaging_at_any_size():
    """Both ways the resampler works (small dense, large sparse), shrinking and enlarging, any aspect."""
    from mnist_gui.ml.preprocess import resample_area

    rng = np.random.default_rng(14)
    shapes = [((168, 168), (80, 80)), ((1200, 900), (80, 60)), ((7, 3), (80, 40)), ((2, 3000), (4, 80)),
              ((3000, 2), (80, 4)), ((1000, 1000), (999, 997)), ((90, 1500), (700, 5)), ((1, 1), (3, 2))]
    shapes += [((int(rng.integers(1, 1500)), int(rng.integers(1, 1500))), (int(rng.integers(1, 900)), int(rng.integers(1, 900))))
               for _ in range(30)]
    for src, dst in shapes:
        img = rng.random(src, dtype=np.float32)
        out = resample_area(img, dst)
        assert out.shape == dst and out.dtype == np.float32
        np.testing.assert_allclose(out, _dense_area_resample(img, dst), atol=2e-6, err_msg=f"{src} → {dst}")


# --- Opening an image in the window: off the GUI thread ------------------------------------------------------

@pytest.fixture
def window(qtbot):
    from tests.gui_helpers import open_window

    w = open_window(qtbot)
    yield w
    w.close()


def test_open_image_decodes_off_the_gui_thread(qtbot, window, tmp_path, monkeypatch):
    import threading

    from mnist_gui.ml import images

    readers: list[threading.Thread] = []
    real = images.load_image
    monkeypatch.setattr(images, "load_image", lambda p: readers.append(threading.current_thread()) or real(p))
    seven = _strokes(3000, 3000, [(0.3, 0.25), (0.7, 0.25), (0.45, 0.8)], 180)  # a 9-megapixel photo of a 7
    Image.fromarray(np.round(255 - seven * 255).astype(np.uint8)).save(tmp_path / "big.png")
    canvas = window.draw_tab.canvas
    window.open_image(str(tmp_path / "big.png"))
    # open_image has returned and the GUI thread is free: nothing is shown yet, the status says why.
    assert canvas.is_empty() and window.status_msg.text() == "Opening big.png…"
    qtbot.waitUntil(lambda: not canvas.is_empty(), timeout=30000)
    assert readers and readers[0] is not threading.main_thread()
    assert window.status_msg.text() == "Opened big.png"
    assert window.draw_tab.last_probs is not None and int(window.draw_tab.last_probs.argmax()) == 7
    assert (canvas._image.width(), canvas._image.height()) == (1024, 1024)  # shrunk in the worker, not on the GUI thread


def test_a_later_open_wins_over_a_slower_earlier_one(qtbot, window, tmp_path):
    from mnist_gui.views.threads import running_threads

    Image.new("L", (4000, 4000), 255).save(tmp_path / "slow.png")  # blank: would clear the canvas if shown
    Image.fromarray(np.round(255 - _strokes(200, 200, [(0.5, 0.1), (0.5, 0.9)], 20) * 255).astype(np.uint8)).save(tmp_path / "one.png")
    window.open_image(str(tmp_path / "slow.png"))
    window.open_image(str(tmp_path / "one.png"))
    qtbot.waitUntil(lambda: window.status_msg.text() == "Opened one.png", timeout=30000)
    qtbot.waitUntil(lambda: not running_threads(), timeout=30000)  # the slow one has finished too ...
    qtbot.wait(50)  # ... and its queued result has been delivered (and dropped)
    assert window.status_msg.text() == "Opened one.png" and not window.draw_tab.canvas.is_empty()


def test_open_thin_image_shows_the_reason(qtbot, window, tmp_path):
    p = tmp_path / "line.png"
    p.write_bytes(_png_header_only(5_000_000, 1))
    window.open_image(str(p))
    qtbot.waitUntil(lambda: "too thin to be a digit" in window.last_error, timeout=10000)
    assert "line.png" in window.last_error and window.status_msg.text() == "The image was not opened"
    assert window.draw_tab.canvas.is_empty()
