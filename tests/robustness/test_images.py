"""Bad and unusual image files: a clear ImageError or a correct reading, never a crash."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from mnist_gui.errors import ImageError
from mnist_gui.ml.images import load_image


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
