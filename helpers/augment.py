"""Seeded image augmentation with TensorFlow: every op is stateless and vectorised.

Every op has the signature ``op(image, seed, **params)``:

- ``image``: one image ``(H, W, C)`` or a batch ``(N, H, W, C)``, any size, ``uint8`` (0..255) or float
  (0..1, like ``tf.image``); C is 1 (grayscale), 3 (RGB) or 4 (RGBA, the alpha channel is left alone by the
  colour ops). The result has the input's dtype (``pipeline`` can change it with ``dtype=``).
- ``seed``: an int, a pair ``(a, b)`` or a shape-(2,) integer tensor. The same image and seed always give the
  same result; the op keeps no hidden state (unlike ``tf.image.random_*``). For a batch, one seed gives every
  image its own random draw, computed for the whole batch at once (no Python loop over images or pixels), so
  the ops are cheap inside ``tf.data`` both before and after ``.batch()``.

Ops: :func:`random_flip_left_right`, :func:`random_flip_up_down`, :func:`random_crop`,
:func:`random_resized_crop`, :func:`random_brightness`, :func:`random_contrast`, :func:`random_saturation`,
:func:`random_hue`, :func:`color_jitter`, :func:`gaussian_noise`, :func:`random_blur`, :func:`random_erasing`,
:func:`random_rotation`, :func:`random_translation`, and the composed :func:`pipeline`
(flip -> random resized crop -> colour jitter). :func:`apply` draws several results of one op on a grid;
:func:`augment_dataset` maps an op over a ``tf.data.Dataset`` with a fresh seed per element and per epoch.

Example::

    >>> import numpy as np
    >>> from helpers import augment
    >>> cat = np.zeros((300, 451, 3), np.uint8)
    >>> augment.random_resized_crop(cat, seed=(1, 2), size=200, area=(0.1, 1.0), ratio=(0.5, 2.0)).shape
    TensorShape([200, 200, 3])
    >>> augment.pipeline(np.stack([cat] * 8), seed=7, size=(96, 96)).shape
    TensorShape([8, 96, 96, 3])
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

import numpy as np
import tensorflow as tf

Seed = int | Sequence[int] | np.ndarray | tf.Tensor
Range = float | tuple[float, float]
Op = Callable[..., tf.Tensor]

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("bilinear", "nearest")
_FLOAT_DTYPES = (tf.float16, tf.bfloat16, tf.float32, tf.float64)

# ITU-R 601 luma weights (the grayscale used by tf.image.rgb_to_grayscale) and the RGB -> YIQ matrix,
# whose first row is the same luma. A hue shift is a rotation of the (I, Q) plane.
_LUMA = np.array([0.299, 0.587, 0.114])
_RGB_TO_YIQ = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
_YIQ_TO_RGB = np.linalg.inv(_RGB_TO_YIQ)


# ---------------------------------------------------------------- argument checks and conversions
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


def _probability(p: float, name: str = "p") -> float:
    if not 0 <= p <= 1:
        raise ValueError(f"{name} must be a probability in [0, 1], got {p}")
    return float(p)


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


def _to_unit(x: tf.Tensor) -> tf.Tensor:
    """float32 in [0, 1] from uint8 or float."""
    return tf.cast(x, tf.float32) / 255.0 if x.dtype == tf.uint8 else tf.cast(x, tf.float32)


def _from_unit(x: tf.Tensor, dtype: tf.DType) -> tf.Tensor:
    if dtype == tf.uint8:
        return tf.cast(tf.round(tf.clip_by_value(x * 255.0, 0.0, 255.0)), tf.uint8)
    return tf.cast(x, dtype)


def _from_native(x: tf.Tensor, dtype: tf.DType) -> tf.Tensor:
    """Back from float32 in the image's own units (0..255 for uint8)."""
    if dtype == tf.uint8:
        return tf.cast(tf.round(tf.clip_by_value(x, 0.0, 255.0)), tf.uint8)
    return tf.cast(x, dtype)


def _check_unit_range(x: tf.Tensor, dtype: tf.DType) -> None:
    """Float images must be in [0, 1] for the ops that clip; checked eagerly (not inside tf.data graphs)."""
    if dtype == tf.uint8 or not tf.executing_eagerly():
        return
    low, high = float(tf.reduce_min(x)), float(tf.reduce_max(x))
    if low < -1e-3 or high > 1 + 1e-3:
        raise ValueError(f"float images must hold values in [0, 1], this one spans [{low:.3g}, {high:.3g}]; "
                         "divide by 255 first (or pass uint8)")


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


def _uniform(shape, seed: tf.Tensor, lo: float, hi: float) -> tf.Tensor:
    return tf.random.stateless_uniform(shape, seed, minval=lo, maxval=hi)


# ---------------------------------------------------------------- flips
def _random_flip(image, seed: Seed, p: float, axis: int) -> tf.Tensor:
    x, single = _as_batch(image)
    p = _probability(p)
    flip = tf.random.stateless_uniform([_batch_size(x)], as_seed(seed)) < p
    return _finish(_flip_where(x, flip, axis), single)


def _flip_where(x: tf.Tensor, flip: tf.Tensor, axis: int) -> tf.Tensor:
    """Reverse ``axis`` of the images where ``flip`` is true (exact, any dtype)."""
    if x.shape[0] == 1:  # one image: reverse along [axis] or along [] (a tf.cond costs more inside tf.data)
        return tf.reverse(x, tf.range(axis, axis + tf.cast(flip[0], tf.int32)))
    # A batch: one gather with per-image indices, much faster than tf.where over two copies.
    length = tf.shape(x)[axis]
    forward = tf.range(length)
    index = tf.where(flip[:, None], (length - 1 - forward)[None], forward[None])
    return tf.gather(x, index, axis=axis, batch_dims=1)


def random_flip_left_right(image, seed: Seed, p: float = 0.5) -> tf.Tensor:
    """Mirror each image left-right with probability ``p`` (an exact mirror, any dtype)."""
    return _random_flip(image, seed, p, axis=2)


def random_flip_up_down(image, seed: Seed, p: float = 0.5) -> tf.Tensor:
    """Mirror each image upside down with probability ``p``."""
    return _random_flip(image, seed, p, axis=1)


# ---------------------------------------------------------------- crops
def _assert_fits(x: tf.Tensor, height: int, width: int, what: str) -> list:
    """Raise ValueError now for a static shape that is too small; return a runtime check otherwise."""
    h_in, w_in = x.shape[1], x.shape[2]
    if h_in is not None and w_in is not None:
        if h_in < height or w_in < width:
            raise ValueError(f"the image ({h_in}x{w_in}, height x width) is smaller than the {what} "
                             f"{height}x{width}; resize it first, or use random_resized_crop")
        return []
    return [tf.debugging.assert_greater_equal(tf.shape(x)[1:3], tf.constant([height, width]),
                                              message=f"image smaller than the {what} {height}x{width}")]


def random_crop(image, seed: Seed, size: int | Sequence[int] = (200, 200)) -> tf.Tensor:
    """Cut a ``size`` window at a random position (no resizing): what ``tf.image.random_crop`` does.

    The pixels are copied exactly. An image smaller than ``size`` raises ``ValueError``.
    """
    height, width = _size(size)
    x, single = _as_batch(image)
    checks = _assert_fits(x, height, width, "crop")
    with tf.control_dependencies(checks):
        shape = tf.shape(x)
    u = tf.random.stateless_uniform([2, _batch_size(x)], as_seed(seed))
    top = tf.minimum(tf.cast(u[0] * tf.cast(shape[1] - height + 1, tf.float32), tf.int32), shape[1] - height)
    left = tf.minimum(tf.cast(u[1] * tf.cast(shape[2] - width + 1, tf.float32), tf.int32), shape[2] - width)
    rows = top[:, None] + tf.range(height)[None]
    cols = left[:, None] + tf.range(width)[None]
    out = tf.gather(x, rows, axis=1, batch_dims=1)
    out = tf.gather(out, cols, axis=2, batch_dims=1)
    return _finish(out, single)


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


def sample_crop_boxes(height: int, width: int, n: int, seed: Seed, area: tuple[float, float] = (0.08, 1.0),
                      ratio: tuple[float, float] = (3 / 4, 4 / 3)) -> tf.Tensor:
    """``n`` random boxes inside a ``height`` x ``width`` image: an int32 tensor ``(n, 4)`` of ``(y, x, h, w)``.

    Each box covers a fraction of the image area within ``area`` and has an aspect ratio ``w / h``
    within ``ratio``; these are the boxes :func:`random_resized_crop` and :func:`random_erasing` use.
    They come from ``tf.image.stateless_sample_distorted_bounding_box``, TensorFlow's sampler for
    exactly this (Inception-style crops): it draws an aspect ratio uniformly from ``ratio``, then a
    whole-pixel height that makes the area fit ``area``, then a position, and tries again (up to
    100 times) when the box does not fit the image. If no try fits (say ``area=(0.9, 1)`` with
    ``ratio=(3, 4)`` on a square image), the box is the whole image.
    """
    bounds = _area_ratio(area, ratio)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    _size((height, width), "height and width")
    seeds = tf.random.stateless_uniform([int(n), 2], as_seed(seed), minval=None, maxval=None, dtype=tf.int64)
    return _box_sampler(*bounds)(seeds, tf.constant([height, width, 1], tf.int32))


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


def random_resized_crop(image, seed: Seed, size: int | Sequence[int] = (200, 200),
                        area: tuple[float, float] = (0.08, 1.0), ratio: tuple[float, float] = (3 / 4, 4 / 3),
                        method: str = "bilinear") -> tf.Tensor:
    """Crop a random box (area fraction in ``area``, width/height in ``ratio``) and resize it to ``size``.

    This is torchvision's ``RandomResizedCrop`` (d2l uses ``size=200, area=(0.1, 1), ratio=(0.5, 2)``);
    see :func:`sample_crop_boxes` for how the box is drawn. Any input size works, including images
    smaller than ``size`` (they are enlarged). One image: the box is sliced and resized with
    ``tf.image.resize``; a batch: one ``tf.image.crop_and_resize`` call for all boxes.
    """
    size = _size(size)
    bounds = _area_ratio(area, ratio)
    x, single = _as_batch(image)
    out = _crop_and_resize(x, _boxes(x, as_seed(seed), *bounds), size, method=method)
    return _finish(_from_native(out, x.dtype), single)


# ---------------------------------------------------------------- colour
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


def color_jitter(image, seed: Seed, brightness: Range = 0.5, contrast: Range = 0.5, saturation: Range = 0.5,
                 hue: Range = 0.1) -> tf.Tensor:
    """Random brightness, contrast, saturation and hue, like torchvision's ``ColorJitter`` (fixed order).

    ``brightness``, ``contrast``, ``saturation``: a number v draws a factor in [max(0, 1 - v), 1 + v]
    (0.5 means 50% to 150%), a pair gives the factor range itself; 0 turns the property off.
    ``hue``: a number v in [0, 0.5] turns the hue by up to v of a full turn either way (0.5: any hue).
    Brightness multiplies the pixels; contrast moves them away from (or towards) the image's mean level;
    saturation moves them away from (towards) their own gray; hue turns the colours around the gray
    axis, keeping each pixel's luma (see ``_colour_transform``). Grayscale images take only brightness
    and contrast; RGBA keeps its alpha channel.
    """
    ranges = _colour_ranges(brightness, contrast, saturation, hue)
    x, single = _as_batch(image)
    dtype = x.dtype
    colour, alpha = _split_alpha(x, "color_jitter", need_rgb=ranges[2] is not None or ranges[3] is not None)
    if dtype != tf.uint8:
        _check_unit_range(colour, dtype)
    u = tf.random.stateless_uniform([4, _batch_size(x)], as_seed(seed))
    out = _colour_transform(tf.cast(colour, tf.float32), u, *ranges, scale=1 / 255 if dtype == tf.uint8 else 1.0)
    out = _join_alpha(_from_unit(out, dtype), alpha)
    return _finish(out, single)


def random_brightness(image, seed: Seed, factor: Range = 0.5) -> tf.Tensor:
    """Multiply the pixels by a random factor in [1 - factor, 1 + factor] (or in a (min, max) pair).

    Note: ``tf.image.random_brightness(image, 0.5)`` *adds* a delta of up to 0.5 (half the full range)
    instead, a much stronger change for dark images.
    """
    return color_jitter(image, seed, brightness=factor, contrast=0, saturation=0, hue=0)


def random_contrast(image, seed: Seed, factor: Range = 0.5) -> tf.Tensor:
    """Scale each value's distance from the image's mean (over all pixels and channels) by a random factor."""
    return color_jitter(image, seed, brightness=0, contrast=factor, saturation=0, hue=0)


def random_saturation(image, seed: Seed, factor: Range = 0.5) -> tf.Tensor:
    """Scale each pixel's distance from its own gray level by a random factor (0 gives grayscale)."""
    return color_jitter(image, seed, brightness=0, contrast=0, saturation=factor, hue=0)


def random_hue(image, seed: Seed, delta: Range = 0.1) -> tf.Tensor:
    """Rotate the hue by a random fraction of a full turn in [-delta, delta] (``delta`` <= 0.5)."""
    return color_jitter(image, seed, brightness=0, contrast=0, saturation=0, hue=delta)


# ---------------------------------------------------------------- pixel noise, blur, erasing
def gaussian_noise(image, seed: Seed, stddev: float = 0.05) -> tf.Tensor:
    """Add Gaussian noise of standard deviation ``stddev`` (in units of the full range 0..1), then clip."""
    if stddev < 0:
        raise ValueError(f"stddev must be >= 0, got {stddev}")
    x, single = _as_batch(image)
    dtype = x.dtype
    colour, alpha = _split_alpha(x, "gaussian_noise", need_rgb=False)
    colour = _to_unit(colour)
    _check_unit_range(colour, dtype)
    noisy = colour + stddev * tf.random.stateless_normal(tf.shape(colour), as_seed(seed))
    out = _join_alpha(_from_unit(tf.clip_by_value(noisy, 0.0, 1.0), dtype), alpha)
    return _finish(out, single)


def random_blur(image, seed: Seed, sigma: Range = (0.1, 2.0)) -> tf.Tensor:
    """Gaussian blur with a random standard deviation (pixels) per image: a number is a fixed sigma.

    Separable and per-image: each image gets its own kernel in one depthwise convolution; the
    edges are extended by repeating the border pixels. ``sigma`` must stay within (0, 10].
    """
    if isinstance(sigma, (int, float)):
        sigma = (float(sigma), float(sigma))
    lo, hi = _range(sigma, "sigma", center=0.0, low=0.0, high=10.0)
    if lo <= 0:
        raise ValueError(f"sigma must be > 0, got {sigma!r}")
    radius = max(1, math.ceil(3 * hi))
    x, single = _as_batch(image)
    dtype = x.dtype
    values = tf.cast(x, tf.float32)
    n, height, width, channels = tf.unstack(tf.shape(values))
    sigmas = _uniform([n], as_seed(seed), lo, hi)
    taps = tf.range(-radius, radius + 1, dtype=tf.float32)
    kernel = tf.exp(-0.5 * (taps[None] / sigmas[:, None]) ** 2)
    kernel /= tf.reduce_sum(kernel, axis=1, keepdims=True)  # (n, taps)
    per_channel = tf.reshape(tf.repeat(tf.transpose(kernel), channels, axis=1), [2 * radius + 1, -1])
    # (n, H, W, C) -> (1, H, W, n*C): one depthwise convolution blurs every image with its own kernel.
    planes = tf.reshape(tf.transpose(values, [1, 2, 0, 3]), [1, height, width, -1])
    rows = tf.clip_by_value(tf.range(-radius, height + radius), 0, height - 1)
    cols = tf.clip_by_value(tf.range(-radius, width + radius), 0, width - 1)
    planes = tf.gather(planes, rows, axis=1)
    planes = tf.nn.depthwise_conv2d(planes, per_channel[:, None, :, None], [1, 1, 1, 1], "VALID")
    planes = tf.gather(planes, cols, axis=2)
    planes = tf.nn.depthwise_conv2d(planes, per_channel[None, :, :, None], [1, 1, 1, 1], "VALID")
    out = tf.transpose(tf.reshape(planes, [height, width, n, channels]), [2, 0, 1, 3])
    out = tf.ensure_shape(out, values.shape)
    return _finish(_from_native(out, dtype), single)


def random_erasing(image, seed: Seed, p: float = 0.5, area: tuple[float, float] = (0.02, 0.33),
                   ratio: tuple[float, float] = (0.3, 3.3), value: float | str = 0.0) -> tf.Tensor:
    """Random erasing / cutout: with probability ``p``, fill a random rectangle of each image.

    The rectangle covers a fraction ``area`` of the image with width/height in ``ratio``. ``value`` is
    a gray level in [0, 1] or ``"noise"`` (uniform random pixels). The alpha channel is kept.
    """
    p = _probability(p)
    if isinstance(value, str):
        if value != "noise":
            raise ValueError(f"value must be a number in [0, 1] or 'noise', got {value!r}")
    elif not 0 <= value <= 1:
        raise ValueError(f"value must be in [0, 1] (a fraction of the full range), got {value}")
    x, single = _as_batch(image)
    dtype = x.dtype
    colour, alpha = _split_alpha(x, "random_erasing", need_rgb=False)
    colour = _to_unit(colour)
    _check_unit_range(colour, dtype)
    shape = tf.shape(colour)
    box_seed, apply_seed, noise_seed = _split(as_seed(seed), 3)
    boxes = tf.cast(_boxes(colour, box_seed, *_area_ratio(area, ratio)), tf.float32)
    y, left, h, w = tf.unstack(boxes, axis=1)
    rows = tf.range(tf.cast(shape[1], tf.float32))[None, :, None] + 0.5
    cols = tf.range(tf.cast(shape[2], tf.float32))[None, None, :] + 0.5
    inside = ((rows >= y[:, None, None]) & (rows < (y + h)[:, None, None])
              & (cols >= left[:, None, None]) & (cols < (left + w)[:, None, None]))
    inside &= (tf.random.stateless_uniform(shape[:1], apply_seed) < p)[:, None, None]
    fill = (tf.random.stateless_uniform(shape, noise_seed) if value == "noise"
            else tf.fill(shape, tf.constant(float(value), tf.float32)))
    out = tf.where(inside[..., None], fill, colour)
    return _finish(_join_alpha(_from_unit(out, dtype), alpha), single)


# ---------------------------------------------------------------- rotation, translation, fill modes
def _transform(x: tf.Tensor, transforms: tf.Tensor, fill_mode: str, fill_value: float,
               interpolation: str) -> tf.Tensor:
    if fill_mode not in FILL_MODES:
        raise ValueError(f"fill_mode must be one of {FILL_MODES}, got {fill_mode!r}")
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")
    out = tf.raw_ops.ImageProjectiveTransformV3(
        images=tf.cast(x, tf.float32), transforms=transforms, output_shape=tf.shape(x)[1:3],
        fill_value=tf.constant(float(fill_value), tf.float32), interpolation=interpolation.upper(),
        fill_mode=fill_mode.upper())
    return _from_native(tf.ensure_shape(out, x.shape), x.dtype)


def random_rotation(image, seed: Seed, degrees: Range = 30.0, fill_mode: str = "reflect",
                    fill_value: float = 0.0, interpolation: str = "bilinear") -> tf.Tensor:
    """Rotate each image about its centre by a random angle in [-degrees, degrees] (counter-clockwise > 0).

    ``fill_mode`` decides the pixels the rotation leaves empty: ``"reflect"`` mirrors the image at its
    border, ``"wrap"`` tiles it, ``"nearest"`` repeats the border pixel, ``"constant"`` uses
    ``fill_value`` (in the image's own units: 0..255 for uint8).
    """
    lo, hi = _range(degrees, "degrees", center=0.0, low=-360.0, high=360.0)
    x, single = _as_batch(image)
    shape = tf.cast(tf.shape(x), tf.float32)
    angle = _uniform(tf.shape(x)[:1], as_seed(seed), lo, hi) * (math.pi / 180.0)
    # Maps each output pixel back to its source pixel (the convention of keras.layers.RandomRotation).
    cos, sin = tf.cos(angle), tf.sin(angle)
    w, h = shape[2] - 1.0, shape[1] - 1.0
    x_offset = (w - (cos * w - sin * h)) / 2.0
    y_offset = (h - (sin * w + cos * h)) / 2.0
    zero = tf.zeros_like(angle)
    transforms = tf.stack([cos, -sin, x_offset, sin, cos, y_offset, zero, zero], axis=1)
    return _finish(_transform(x, transforms, fill_mode, fill_value, interpolation), single)


def random_translation(image, seed: Seed, fraction: Range = 0.2, fill_mode: str = "reflect",
                       fill_value: float = 0.0, interpolation: str = "bilinear") -> tf.Tensor:
    """Shift each image by a random fraction of its height and width in [-fraction, fraction].

    ``fill_mode`` and ``fill_value`` as in :func:`random_rotation`.
    """
    lo, hi = _range(fraction, "fraction", center=0.0, low=-1.0, high=1.0)
    x, single = _as_batch(image)
    shape = tf.cast(tf.shape(x), tf.float32)
    shift = _uniform(tf.stack([2, tf.shape(x)[0]]), as_seed(seed), lo, hi)
    dy, dx = shift[0] * shape[1], shift[1] * shape[2]
    one, zero = tf.ones_like(dx), tf.zeros_like(dx)
    transforms = tf.stack([one, zero, -dx, zero, one, -dy, zero, zero], axis=1)
    return _finish(_transform(x, transforms, fill_mode, fill_value, interpolation), single)


# ---------------------------------------------------------------- the composed pipeline
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


# ---------------------------------------------------------------- showing several draws
def apply(image, op: Op, n: int = 8, ncols: int = 4, seed: Seed = 0, scale: float = 2.0,
          suptitle: str | None = None, **params):
    """Draw ``n`` random results of ``op(image, seed, **params)`` on a grid (like d2l's ``apply``).

    The image is repeated ``n`` times and augmented as one batch, so each panel is a different draw;
    the same ``seed`` redraws the same figure. Returns the matplotlib Figure.
    """
    from helpers import plotting

    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    x, single = _as_batch(image)
    if not single:
        raise ValueError(f"apply takes one image (H, W, C), got a batch of shape {x.shape}")
    out = op(tf.repeat(x, n, axis=0), seed, **params)
    titles = [f"draw {i + 1}" for i in range(n)]
    return plotting.show_images(out.numpy(), titles=titles, ncols=ncols, scale=scale, suptitle=suptitle)


# ---------------------------------------------------------------- tf.data
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


def map_fn(op: Op, **params) -> Callable:
    """A function for ``seeded(ds, s).map(...)``: augments the image (first item of a tuple) and keeps the rest."""
    if not callable(op):
        raise ValueError(f"op must be callable, got {op!r}")

    def augment_element(element, seed):
        if isinstance(element, tuple):
            return (op(element[0], seed, **params), *element[1:])
        return op(element, seed, **params)

    return augment_element


def augment_dataset(dataset: tf.data.Dataset, op: Op, seed: int, num_parallel_calls: int = tf.data.AUTOTUNE,
                    single_threaded_ops: bool = True, **params) -> tf.data.Dataset:
    """Augment every element of ``dataset`` with ``op(image, seed_i, **params)``, new draws each epoch.

    Elements are images or tuples whose first item is the image (``(image, label)``). Works on an
    unbatched dataset (one seed per image) and on a batched one (one seed per batch, every image
    still gets its own draw). The map runs in parallel (``num_parallel_calls``) and keeps the order.

    ``single_threaded_ops``: run each op on one thread (``max_intra_op_parallelism = 1``) and get
    the parallelism from many images at once, which is faster on CPU for per-image work; it applies
    to the whole input pipeline. The fastest recipe decodes and augments in one pass, letting the
    random resized crop do the resizing::

        files = tf.data.Dataset.list_files("train/*/*.jpg", shuffle=True, seed=0)
        images = files.map(lambda f: tf.io.decode_jpeg(tf.io.read_file(f), channels=3))
        train = augment.augment_dataset(images, augment.pipeline, seed=42, size=160, dtype=tf.float32)
        train = train.batch(32).prefetch(tf.data.AUTOTUNE)
    """
    augmented = seeded(dataset, seed).map(map_fn(op, **params), num_parallel_calls=num_parallel_calls)
    if single_threaded_ops:
        options = tf.data.Options()
        options.threading.max_intra_op_parallelism = 1
        augmented = augmented.with_options(options)
    return augmented
