"""On-the-fly augmentation of training images in TensorFlow (vectorised per batch, no Python loop).

Random affine distortion (rotation, scale, shear, shift) and stroke-width variation (grey dilation or
erosion by a 3×3 neighbourhood). ``augmentation_layer()`` runs the transform inside the compiled training
step (a layer in front of the model while fitting, identity at inference), so it shares the step's
``steps_per_execution`` loop and costs one batched op next to the step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any



@dataclass(frozen=True)
class AugmentParams:
    rotation_deg: float = 10.0
    scale: float = 0.10  # ± fraction
    shear: float = 0.15
    shift_px: float = 2.0
    width_change_prob: float = 0.5  # half dilated or eroded, half left alone


def _bilinear_warp(x: Any, a: Any) -> Any:
    """Sample (B, 28, 28) images at ``a`` (B, 2, 3) output→input affine maps, zero outside.

    Written as a batched gather (not ImageProjectiveTransform) so XLA can fuse it with the rest.
    """
    import tensorflow as tf

    b = tf.shape(x)[0]
    ys, xs = tf.meshgrid(tf.range(28.0), tf.range(28.0), indexing="ij")
    grid = tf.stack([tf.reshape(xs, [-1]), tf.reshape(ys, [-1]), tf.ones([784])], axis=1)  # (784, 3)
    coords = tf.clip_by_value(tf.einsum("pk,bjk->bpj", grid, a), -1.0, 28.0)  # (B, 784, 2) as (x, y)
    f = tf.floor(coords)
    w = coords - f
    i = tf.cast(f, tf.int32) + 1  # top-left neighbour in the image padded by 1 before and 2 after: 0 … 29
    q = tf.pad(x, [[0, 0], [1, 2], [1, 2]])
    # Each pixel with its right, lower and lower-right neighbours: one gather of 4-vectors, not four gathers.
    quad = tf.reshape(tf.stack([q[:, :-1, :-1], q[:, :-1, 1:], q[:, 1:, :-1], q[:, 1:, 1:]], axis=-1), [b, 900, 4])
    v = tf.gather(quad, i[..., 1] * 30 + i[..., 0], batch_dims=1)  # (B, 784, 4)
    wx, wy = w[..., 0], w[..., 1]
    out = (v[..., 0] * (1 - wx) + v[..., 1] * wx) * (1 - wy) + (v[..., 2] * (1 - wx) + v[..., 3] * wx) * wy
    return tf.reshape(out, [b, 28, 28])


def _max3x3(x: Any) -> Any:
    """Grey dilation by a 3×3 square, as two separable maxima (cheaper than max_pool on 1 channel)."""
    import tensorflow as tf

    p = tf.pad(x, [[0, 0], [1, 1], [1, 1]])
    h = tf.maximum(tf.maximum(p[:, :, :-2], p[:, :, 1:-1]), p[:, :, 2:])
    return tf.maximum(tf.maximum(h[:, :-2], h[:, 1:-1]), h[:, 2:])


def _random_params(b: Any, seed: Any, p: AugmentParams) -> tuple[Any, Any]:
    """Per-image output→input affine maps (B, 2, 3) and a uniform draw (B, 1, 1) choosing the width change."""
    import tensorflow as tf

    seeds = tf.random.experimental.stateless_split(seed, 6)
    u = lambda i, lo, hi: tf.random.stateless_uniform([b], seeds[i], lo, hi)  # noqa: E731
    theta = u(0, -p.rotation_deg, p.rotation_deg) * (math.pi / 180)
    scale = u(1, 1 - p.scale, 1 + p.scale)
    shear = u(2, -p.shear, p.shear)
    tx = u(3, -p.shift_px, p.shift_px)
    ty = u(4, -p.shift_px, p.shift_px)
    # Inverse of rotate·shear·scale about the image centre, then shift.
    c, s = tf.cos(theta), tf.sin(theta)
    a0, a1 = c / scale, (s + shear * c) / scale
    b0, b1 = -s / scale, (c - shear * s) / scale
    cx = cy = 13.5
    a2 = cx - a0 * cx - a1 * cy - tx
    b2 = cy - b0 * cx - b1 * cy - ty
    a = tf.reshape(tf.stack([a0, a1, a2, b0, b1, b2], axis=1), [b, 2, 3])
    return a, tf.random.stateless_uniform([b, 1, 1], seeds[5])


def _change_width(img: Any, r: Any, p: AugmentParams) -> Any:
    import tensorflow as tf

    half = p.width_change_prob / 2
    img = tf.where(r < half, _max3x3(img), tf.where(r < 2 * half, -_max3x3(-img), img))
    return tf.clip_by_value(img, 0.0, 1.0)


def augment_batch(x: Any, seed: Any, p: AugmentParams = AugmentParams()) -> Any:
    """``x`` (B, 28, 28) float32 in [0, 1] → augmented batch of the same shape (plain TF ops)."""
    import tensorflow as tf

    a, r = _random_params(tf.shape(x)[0], seed, p)
    return _change_width(_bilinear_warp(x, a), r, p)


def compiled_augment(p: AugmentParams = AugmentParams()) -> Any:
    """``augment_batch`` as two XLA clusters: per-op dispatch, not arithmetic, dominates ~40 small ops.

    Two, not one: fused into a single cluster, XLA recomputes the gather for every dilation tap (2.5× slower).
    """
    import tensorflow as tf

    def _warp(x: Any, s: Any) -> tuple[Any, Any]:
        a, r = _random_params(tf.shape(x)[0], s, p)
        return _bilinear_warp(x, a), r

    warp = tf.function(_warp, jit_compile=True, autograph=False)
    width = tf.function(lambda img, r: _change_width(img, r, p), jit_compile=True, autograph=False)
    return lambda x, seed: width(*warp(x, seed))


def augmentation_layer(seed: int, p: AugmentParams = AugmentParams()) -> Any:
    """A Keras layer that augments (B, 28, 28) batches when ``training`` and passes them through otherwise."""
    import keras
    import tensorflow as tf

    augment = compiled_augment(p)

    class RandomDigitDistortion(keras.layers.Layer):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.seed_generator = keras.random.SeedGenerator(seed)

        def call(self, x: Any, training: bool | None = None) -> Any:
            if not training:
                return x
            return augment(x, tf.cast(self.seed_generator.next(), tf.int64))

        def compute_output_shape(self, input_shape: Any) -> Any:
            return input_shape

    return RandomDigitDistortion(name="augment")
