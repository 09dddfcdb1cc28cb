"""Augmentation code that notebook 01 writes and later lessons reuse.

:func:`random_resized_crop` is saved from notebook 01, section 4 (cell marked ``# Saved in helpers/augment.py``;
``tests/test_saved_cells.py`` keeps the two identical); notebooks 03 and 04 reuse it. Everything else in
the lesson (flips, crops, colour, noise, blur, erasing) is a visible ``tf.image`` call in notebook 01.

Example::

    >>> import numpy as np, tensorflow as tf
    >>> from helpers import augment
    >>> cat = np.zeros((300, 451, 3), np.uint8)
    >>> augment.random_resized_crop(cat, tf.constant([1, 2]), 200, area=(0.1, 1.0), ratio=(0.5, 2.0)).shape
    TensorShape([200, 200, 3])
"""

from __future__ import annotations

import tensorflow as tf


def random_resized_crop(image, seed, size, area=(0.08, 1.0), ratio=(3 / 4, 4 / 3)):
    """Crop a random box (a fraction `area` of the image, width/height in `ratio`) and resize it to `size`.

    Notebook 01, section 4 builds it; notebooks 03 and 04 reuse it. One image (H, W, C) of any dtype, `seed`
    a shape-(2,) integer tensor; returns float32 (height, width, C) in the input's value scale.
    """
    size = (size, size) if isinstance(size, int) else tuple(size)
    begin, extent, _ = tf.image.stateless_sample_distorted_bounding_box(
        tf.shape(image), bounding_boxes=tf.zeros([1, 0, 4]), seed=seed, min_object_covered=0.0,
        area_range=area, aspect_ratio_range=ratio, use_image_if_no_bounding_boxes=True)
    crop = tf.image.crop_to_bounding_box(image, begin[0], begin[1], extent[0], extent[1])
    return tf.cast(tf.image.resize(crop, size), tf.float32)
