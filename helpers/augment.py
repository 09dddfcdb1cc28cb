"""Augmentation code that notebook 01 writes and later lessons reuse.

:func:`random_resized_crop` is saved from notebook 01, section 4 (cell marked ``# Saved in helpers/augment.py``;
``tests/test_saved_cells.py`` keeps the two identical); notebook 03 trains with it. Everything else in the
lesson (flips, crops, colour, noise, blur, erasing) is a visible ``tf.image`` call in notebook 01.

Example::

    >>> import numpy as np, tensorflow as tf
    >>> from helpers import augment
    >>> cat = np.zeros((300, 451, 3), np.uint8)
    >>> augment.random_resized_crop(cat, tf.constant([1, 2]), 200, area=(0.1, 1.0), ratio=(0.5, 2.0)).shape
    TensorShape([200, 200, 3])
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np
import tensorflow as tf


def random_resized_crop(image, seed, size, area=(0.08, 1.0), ratio=(3 / 4, 4 / 3)):
    """Crop a random box (a fraction `area` of the image, width/height in `ratio`) and resize it to `size`.

    Notebook 01, section 4 builds it; notebook 03 trains with it. One image (H, W, C) of any dtype, `seed` a
    shape-(2,) integer tensor; returns float32 (height, width, C) in the input's value scale.
    """
    size = (size, size) if isinstance(size, int) else tuple(size)
    begin, extent, _ = tf.image.stateless_sample_distorted_bounding_box(
        tf.shape(image), bounding_boxes=tf.zeros([1, 0, 4]), seed=seed, min_object_covered=0.0,
        area_range=area, aspect_ratio_range=ratio, use_image_if_no_bounding_boxes=True)
    crop = tf.image.crop_to_bounding_box(image, begin[0], begin[1], extent[0], extent[1])
    return tf.cast(tf.image.resize(crop, size), tf.float32)


# ---------------------------------------------------------------- kept only for helpers.data and helpers.throughput
# Not part of any lesson: the vectorised pipeline that helpers.data.augment_image (notebook 03) and
# helpers.throughput (notebook 04) still call. Delete once they build their augmentation from notebook cells.

Seed = int | Sequence[int] | np.ndarray | tf.Tensor


Range = float | tuple[float, float]


INTERPOLATIONS = ("bilinear", "nearest")


_FLOAT_DTYPES = (tf.float16, tf.bfloat16, tf.float32, tf.float64)


# ITU-R 601 luma weights (the grayscale used by tf.image.rgb_to_grayscale) and the RGB -> YIQ matrix,
# whose first row is the same luma. A hue shift is a rotation of the (I, Q) plane.
_LUMA = np.array([0.299, 0.587, 0.114])


_RGB_TO_YIQ = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])


_YIQ_TO_RGB = np.linalg.inv(_RGB_TO_YIQ)


def as_seed(seed: Seed) -> tf.Tensor:
    """A shape-(2,) int64 seed tensor from an int, a pair or a tensor; ``ValueError`` otherwise."""
    if seed is None:
        raise ValueError("a seed is required: these ops are stateless (pass an int or a pair like (1, 2))")
    if isinstance(seed, bool):
        raise ValueError(f"seed must be an int or a pair of ints, got {seed!r}")
    if isinstance(seed, (int, np.integer)):
        return tf.constant([int(seed), 0], tf.int64)
    if isinstance(seed, (tf.Tensor, tf.Variable)):
        if not seed.dtype.is_integer:
            raise ValueError(f"seed tensor must have an integer dtype, got {seed.dtype.name}")
        if seed.shape.rank is not None and seed.shape.as_list() != [2] and seed.shape.as_list() != [None]:
            raise ValueError(f"seed tensor must have shape (2,), got {seed.shape}")
        return tf.cast(tf.reshape(seed, [2]), tf.int64)
    array = np.asarray(seed)
    if array.shape != (2,) or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"seed must be an int or a pair of ints, got {seed!r}")
    return tf.constant(array.astype(np.int64))


def _split(seed: tf.Tensor, num: int) -> list[tf.Tensor]:
    """``num`` independent seeds derived from ``seed``."""
    return tf.unstack(tf.random.split(seed, num))


def _size(size: int | Sequence[int], name: str = "size") -> tuple[int, int]:
    def whole(value) -> bool:
        return isinstance(value, (int, np.integer)) and not isinstance(value, bool)

    pair = (size, size) if whole(size) else size
    if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2 or not all(map(whole, pair)):
        raise ValueError(f"{name} must be an int or a pair of ints (height, width), got {size!r}")
    height, width = int(pair[0]), int(pair[1])
    if height < 1 or width < 1:
        raise ValueError(f"{name} must be positive, got {(height, width)}")
    return height, width


def _range(value: Range, name: str, *, center: float, low: float, high: float = math.inf) -> tuple[float, float]:
    """``value`` as a (min, max) range: a number v means [center - v, center + v], clipped below at ``low``."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
        lo, hi = max(low, center - float(value)), center + float(value)
    else:
        try:
            lo, hi = (float(v) for v in value)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a number or a pair (min, max), got {value!r}") from None
        if lo > hi:
            raise ValueError(f"{name}: min {lo} is larger than max {hi}")
    if lo < low or hi > high:
        raise ValueError(f"{name} must stay within [{low}, {high}], got ({lo}, {hi})")
    return lo, hi


def _area_ratio(area: tuple[float, float], ratio: tuple[float, float]) -> tuple[tuple[float, float], tuple[float, ...]]:
    try:
        a_lo, a_hi = (float(v) for v in area)
        r_lo, r_hi = (float(v) for v in ratio)
    except (TypeError, ValueError):
        raise ValueError(f"area and ratio must be pairs (min, max), got {area!r} and {ratio!r}") from None
    if not 0 < a_lo <= a_hi <= 1:
        raise ValueError(f"area must satisfy 0 < min <= max <= 1 (fractions of the image), got {area!r}")
    if not 0 < r_lo <= r_hi:
        raise ValueError(f"ratio (width / height) must satisfy 0 < min <= max, got {ratio!r}")
    return (a_lo, a_hi), (r_lo, r_hi)


def _as_batch(image) -> tuple[tf.Tensor, bool]:
    """The image as a 4-D tensor, and whether it was a single image."""
    x = image if isinstance(image, tf.Tensor) else tf.convert_to_tensor(image)
    if x.dtype != tf.uint8 and x.dtype not in _FLOAT_DTYPES:
        raise ValueError(f"images must be uint8 (0..255) or float (0..1), got dtype {x.dtype.name}")
    rank = x.shape.rank
    if rank not in (3, 4):
        raise ValueError(f"expected one image (H, W, C) or a batch (N, H, W, C), got shape {x.shape}; "
                         "add a channel axis to a grayscale (H, W) image: image[..., None]")
    if x.shape[-1] is None:
        raise ValueError("the number of channels (the last axis) must be known")
    return (x[None] if rank == 3 else x), rank == 3


def _batch_size(x: tf.Tensor):
    """The batch size, as a Python int when it is static (keeps shapes known inside tf.data)."""
    return x.shape[0] if x.shape[0] is not None else tf.shape(x)[0]


def _finish(x: tf.Tensor, single: bool) -> tf.Tensor:
    return x[0] if single else x


def _from_unit(x: tf.Tensor, dtype: tf.DType) -> tf.Tensor:
    if dtype == tf.uint8:
        return tf.cast(tf.round(tf.clip_by_value(x * 255.0, 0.0, 255.0)), tf.uint8)
    return tf.cast(x, dtype)


def _split_alpha(x: tf.Tensor, op: str, need_rgb: bool) -> tuple[tf.Tensor, tf.Tensor | None]:
    channels = x.shape[-1]
    if channels not in (1, 3, 4):
        raise ValueError(f"{op} works on 1 (grayscale), 3 (RGB) or 4 (RGBA) channels, got {channels}")
    if need_rgb and channels == 1:
        raise ValueError(f"{op} needs colour (3 or 4 channels) for saturation and hue: a grayscale image has "
                         "neither; pass saturation=0 and hue=0")
    if channels == 4:
        return x[..., :3], x[..., 3:]
    return x, None


def _join_alpha(x: tf.Tensor, alpha: tf.Tensor | None) -> tf.Tensor:
    return x if alpha is None else tf.concat([x, alpha], axis=-1)


MAX_ATTEMPTS = 100  # tries of the box sampler before it falls back to the whole image


def _box(image_shape: tf.Tensor, seed: tf.Tensor, area: tuple[float, float],
         ratio: tuple[float, float]) -> tf.Tensor:
    """One box ``(y, x, h, w)`` (int32) from TensorFlow's own sampler (one C++ op, cheap in tf.data)."""
    begin, extent, _ = tf.image.stateless_sample_distorted_bounding_box(
        image_shape, tf.zeros([1, 0, 4]), seed, min_object_covered=0.0, aspect_ratio_range=ratio,
        area_range=area, max_attempts=MAX_ATTEMPTS, use_image_if_no_bounding_boxes=True)
    return tf.concat([begin[:2], extent[:2]], axis=0)


@functools.lru_cache(maxsize=64)
def _box_sampler(area: tuple[float, float], ratio: tuple[float, float]):
    """A traced function drawing one box per seed: ``(seeds (n, 2), image_shape (3,)) -> (n, 4)``."""
    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.int64), tf.TensorSpec([3], tf.int32)])
    def sample(seeds, image_shape):
        return tf.map_fn(lambda s: _box(image_shape, s, area, ratio), seeds, fn_output_signature=tf.int32)
    return sample


def _boxes(x: tf.Tensor, seed: tf.Tensor, area: tuple[float, float], ratio: tuple[float, float]) -> tf.Tensor:
    """A box ``(y, x, h, w)`` per image of the batch ``x``: int32 of shape (n, 4)."""
    n = _batch_size(x)
    image_shape = tf.shape(x)[1:]
    if n == 1:
        return _box(image_shape, seed, area, ratio)[None]
    seeds = tf.random.stateless_uniform(tf.stack([n, 2]), seed, minval=None, maxval=None, dtype=tf.int64)
    return _box_sampler(area, ratio)(seeds, image_shape)


def _crop_and_resize(x: tf.Tensor, boxes: tf.Tensor, size: tuple[int, int], flip: tf.Tensor | None = None,
                     method: str = "bilinear") -> tf.Tensor:
    """Crop boxes ``(y, x, h, w)`` from a batch, resize them to ``size``, mirror where ``flip`` (float32).

    One image (the usual case inside ``tf.data.Dataset.map``): the box is sliced out and resized with
    ``tf.image.resize``. A batch: one ``tf.image.crop_and_resize`` call with a box per image.
    """
    if method not in INTERPOLATIONS:
        raise ValueError(f"method must be one of {INTERPOLATIONS}, got {method!r}")
    if x.shape[0] == 1:
        box = boxes[0]
        crop = tf.slice(x[0], tf.concat([box[:2], [0]], 0), tf.concat([box[2:], [-1]], 0))
        crop = tf.ensure_shape(crop, [None, None, x.shape[-1]])
        if flip is not None:  # mirror the (small, often uint8) crop: cheaper than the resized output
            crop = tf.reverse(crop, tf.range(1, 1 + tf.cast(flip[0], tf.int32)))
        return tf.cast(tf.image.resize(crop, size, method=method), tf.float32)[None]
    shape = tf.cast(tf.shape(x)[1:3], tf.float32)
    y, left, h, w = tf.unstack(tf.cast(boxes, tf.float32), axis=1)
    out_h, out_w = float(size[0]), float(size[1])
    # crop_and_resize samples box corners at pixel centres; this maps a box of h pixels to out_h
    # samples with the half-pixel convention of tf.image.resize, kept inside the image.
    y1, y2 = y + 0.5 * h / out_h - 0.5, y + h - 0.5 * h / out_h - 0.5
    x1, x2 = left + 0.5 * w / out_w - 0.5, left + w - 0.5 * w / out_w - 0.5
    denom_y, denom_x = tf.maximum(shape[0] - 1.0, 1.0), tf.maximum(shape[1] - 1.0, 1.0)
    y1, y2 = tf.clip_by_value(y1 / denom_y, 0.0, 1.0), tf.clip_by_value(y2 / denom_y, 0.0, 1.0)
    x1, x2 = tf.clip_by_value(x1 / denom_x, 0.0, 1.0), tf.clip_by_value(x2 / denom_x, 0.0, 1.0)
    if flip is not None:  # a box with x1 > x2 is sampled mirrored: the flip costs nothing here
        x1, x2 = tf.where(flip, x2, x1), tf.where(flip, x1, x2)
    normalised = tf.stack([y1, x1, y2, x2], axis=1)
    return tf.image.crop_and_resize(x, normalised, tf.range(_batch_size(x)), list(size), method=method)


def _colour_matrices() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Constant 3x3 matrices L (to gray), I - L (chroma), A (chroma turned by 90 degrees in YIQ)."""
    gray = np.outer(np.ones(3), _LUMA)  # every row is the luma weights: L @ rgb = (g, g, g)
    quarter_turn = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    return gray, np.eye(3) - gray, _YIQ_TO_RGB @ quarter_turn @ _RGB_TO_YIQ


_GRAY, _CHROMA, _CHROMA_TURNED = _colour_matrices()


def _colour_transform(x: tf.Tensor, u: tf.Tensor, brightness: tuple[float, float] | None,
                      contrast: tuple[float, float] | None, saturation: tuple[float, float] | None,
                      hue: tuple[float, float] | None, scale: float = 1.0) -> tf.Tensor:
    """Brightness, contrast, saturation, hue (in that order) as one linear map per image; result in [0, 1].

    ``x``: float32 pixels with ``x * scale`` in [0, 1]; ``u``: uniform draws of shape (4, n); a range of
    None turns its property off. All four properties are linear in the pixels, so they fold into one
    3x3 matrix plus an offset per image: brightness b scales; contrast c blends with the image's mean
    level; saturation s blends with each pixel's gray; hue turns the chroma (the pixel minus its gray)
    by an angle t in the I-Q plane of YIQ, keeping each pixel's luma, as NVIDIA DALI does
    (``tf.image.adjust_hue`` shifts the H of HSV instead: the same direction and a similar look, not
    the same numbers, and several times slower). Together, with L the gray projection and A the chroma
    turned by 90 degrees: ``M = b c (L + s cos(t) (I - L) + s sin(t) A)``, ``offset = (1 - c) b mean``
    (``mean``: the mean of all the image's values).
    """
    off = {"b": (1.0, 1.0), "c": (1.0, 1.0), "s": (1.0, 1.0), "h": (0.0, 0.0)}
    given = (brightness, contrast, saturation, hue)
    bounds = [r if r is not None else off[k] for k, r in zip("bcsh", given, strict=True)]
    low = tf.constant([[lo] for lo, _ in bounds], tf.float32)
    span = tf.constant([[hi - lo] for lo, hi in bounds], tf.float32)
    b, c, s, h = tf.unstack(low + u * span)  # each (n,)
    gray_only = x.shape[-1] == 1
    offset = None
    if contrast is not None:
        # The image's mean level: the mean of all its values (a per-channel mean would be slower to
        # compute, and blending each channel towards its own mean would shift the colours).
        offset = (1.0 - c) * (scale * b) * tf.reduce_mean(x, axis=[1, 2, 3])  # (n,)
    gain = (scale * b) * c
    if gray_only or (saturation is None and hue is None):  # brightness and contrast: a scalar per image
        out = x * gain[:, None, None, None]
        out = out if offset is None else out + offset[:, None, None, None]
        return tf.clip_by_value(out, 0.0, 1.0)
    angle = (-2.0 * math.pi) * h  # sign: the direction of tf.image.adjust_hue
    chroma_gain = gain * s
    coefficients = tf.stack([gain, chroma_gain * tf.cos(angle), chroma_gain * tf.sin(angle)], axis=1)  # (n, 3)
    # Row k of the basis is matrix k transposed and flattened: the product gives each image's M^T.
    basis = np.stack([_GRAY.T, _CHROMA.T, _CHROMA_TURNED.T]).reshape(3, 9)
    kernels = tf.reduce_sum(coefficients[:, :, None] * tf.constant(basis, tf.float32)[None], axis=1)
    kernels = tf.reshape(kernels, [-1, 3, 3])  # M^T per image
    out = tf.reshape(tf.matmul(tf.reshape(x, [_batch_size(x), -1, 3]), kernels), tf.shape(x))
    out = out if offset is None else out + offset[:, None, None, None]
    return tf.clip_by_value(out, 0.0, 1.0)


def _colour_ranges(brightness: Range, contrast: Range, saturation: Range, hue: Range) -> list:
    """Validated ranges, None for a property that is turned off."""
    b = _range(brightness, "brightness", center=1.0, low=0.0)
    c = _range(contrast, "contrast", center=1.0, low=0.0)
    s = _range(saturation, "saturation", center=1.0, low=0.0)
    h = _range(hue, "hue", center=0.0, low=-0.5, high=0.5)
    return [None if r == (1.0, 1.0) else r for r in (b, c, s)] + [None if h == (0.0, 0.0) else h]


def pipeline(image, seed: Seed, size: int | Sequence[int] = (200, 200), flip: bool = True,
             area: tuple[float, float] = (0.1, 1.0), ratio: tuple[float, float] = (0.5, 2.0),
             brightness: Range = 0.5, contrast: Range = 0.5, saturation: Range = 0.5, hue: Range = 0.1,
             dtype: tf.DType | None = None) -> tf.Tensor:
    """Left-right flip (p = 0.5) -> random resized crop to ``size`` -> colour jitter, per image.

    Feed it the decoded image at any size: the crop replaces the usual resize, so in ``tf.data`` the
    whole augmentation costs little more than ``tf.image.resize`` alone. One random draw gives all
    parameters; the flip is applied to the small output; the four colour properties are one 3x3
    product. ``dtype``: the output dtype (default: the input's); float output is in [0, 1].
    Parameters as in :func:`random_resized_crop` and :func:`color_jitter`.
    """
    size = _size(size)
    bounds = _area_ratio(area, ratio)
    ranges = _colour_ranges(brightness, contrast, saturation, hue)
    x, single = _as_batch(image)
    out_dtype = tf.as_dtype(dtype) if dtype is not None else x.dtype
    if out_dtype != tf.uint8 and out_dtype not in _FLOAT_DTYPES:
        raise ValueError(f"dtype must be uint8 or a float dtype, got {out_dtype.name}")
    _split_alpha(x, "pipeline", need_rgb=ranges[2] is not None or ranges[3] is not None)
    box_seed, draw_seed = _split(as_seed(seed), 2)
    u = tf.random.stateless_uniform([5, _batch_size(x)], draw_seed)  # flip, colour (4)
    crops = _crop_and_resize(x, _boxes(x, box_seed, *bounds), size, flip=u[0] < 0.5 if flip else None)
    scale = 1 / 255 if x.dtype == tf.uint8 else 1.0
    colour, alpha = _split_alpha(crops, "pipeline", need_rgb=False)
    if any(r is not None for r in ranges):
        colour = _colour_transform(colour, u[1:], *ranges, scale=scale)
    elif scale != 1.0:
        colour = colour * scale
    if alpha is not None and scale != 1.0:
        alpha = alpha * scale
    return _finish(_from_unit(_join_alpha(colour, alpha), out_dtype), single)


def seeded(dataset: tf.data.Dataset, seed: int) -> tf.data.Dataset:
    """Pair every element with its own seed: ``(element, seed)``, seed a shape-(2,) int64 tensor.

    The seeds come from ``tf.data.Dataset.random(seed, rerandomize_each_iteration=True)``: every pass
    over the dataset (every epoch) gets new seeds, yet a fresh run of the program repeats the same
    sequence. (A ``Dataset.counter()`` restarts at 0 each epoch and would repeat the same draws.)
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an int, got {seed!r}")
    seeds = tf.data.Dataset.random(seed=int(seed), rerandomize_each_iteration=True).batch(2, drop_remainder=True)
    return tf.data.Dataset.zip(dataset, seeds)
