"""On-the-fly augmentation of training images in TensorFlow (vectorised per batch, no Python loop).

Random affine distortion (rotation, scale, shear, shift) and stroke-width variation (grey dilation or
erosion by a 3×3 neighbourhood). The transform runs inside the ``tf.data`` pipeline, so each epoch sees
new variants, at a small cost next to the training step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class AugmentParams:
    rotation_deg: float = 10.0
    scale: float = 0.10  # ± fraction
    shear: float = 0.15
    shift_px: float = 2.0
    width_change_prob: float = 0.5  # half dilated or eroded, half left alone


def augment_batch(x: Any, seed: Any, p: AugmentParams = AugmentParams()) -> Any:
    """``x`` (B, 28, 28) float32 in [0, 1] → augmented batch of the same shape (a TF graph function)."""
    import tensorflow as tf  # noqa: PLC0415

    b = tf.shape(x)[0]
    seeds = tf.random.experimental.stateless_split(seed, 6)
    u = lambda i, lo, hi: tf.random.stateless_uniform([b], seeds[i], lo, hi)  # noqa: E731
    theta = u(0, -p.rotation_deg, p.rotation_deg) * (math.pi / 180)
    scale = u(1, 1 - p.scale, 1 + p.scale)
    shear = u(2, -p.shear, p.shear)
    tx = u(3, -p.shift_px, p.shift_px)
    ty = u(4, -p.shift_px, p.shift_px)
    # Output→input mapping about the image centre: inverse of rotate·shear·scale, then shift.
    c, s = tf.cos(theta), tf.sin(theta)
    a0, a1 = c / scale, (s + shear * c) / scale
    b0, b1 = -s / scale, (c - shear * s) / scale
    cx = cy = 13.5
    a2 = cx - a0 * cx - a1 * cy - tx
    b2 = cy - b0 * cx - b1 * cy - ty
    zeros = tf.zeros_like(a0)
    transforms = tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)
    img = x[..., None]
    img = tf.raw_ops.ImageProjectiveTransformV3(images=img, transforms=transforms, output_shape=tf.constant([28, 28]),
                                                interpolation="BILINEAR", fill_mode="CONSTANT", fill_value=0.0)
    dil = tf.nn.max_pool2d(img, 3, 1, "SAME")
    ero = -tf.nn.max_pool2d(-img, 3, 1, "SAME")
    r = tf.random.stateless_uniform([b, 1, 1, 1], seeds[5])
    half = p.width_change_prob / 2
    img = tf.where(r < half, dil, tf.where(r < 2 * half, ero, img))
    return tf.clip_by_value(img[..., 0], 0.0, 1.0)


def augmented_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int) -> Any:
    """A shuffled, batched, augmented ``tf.data.Dataset`` over (x, y), reshuffled each epoch."""
    import tensorflow as tf  # noqa: PLC0415

    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    counter = tf.data.Dataset.counter()
    ds = tf.data.Dataset.zip((ds, counter)).map(
        lambda xy, i: (augment_batch(xy[0], tf.stack([tf.cast(seed, tf.int64), i])), xy[1]),
        num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.prefetch(tf.data.AUTOTUNE)
