"""The hot-dog classifier of notebook 03, saved from its cells for later use.

Notebook 03 writes these functions in cells marked ``# Saved in helpers/hotdog.py``
(a test keeps the two copies identical); notebook 04, the benchmarks and
``python -m helpers.classify`` import them from here.

Example::

    >>> import keras
    >>> from helpers import hotdog
    >>> base = keras.applications.MobileNetV2(include_top=False, weights="imagenet",
    ...                                       input_shape=(224, 224, 3))          # doctest: +SKIP
    >>> model = hotdog.build_classifier(base)                                    # doctest: +SKIP
    >>> model.input_shape, model.output_shape                                    # doctest: +SKIP
    ((None, 224, 224, 3), (None, 1))
"""

from __future__ import annotations

import keras
import tensorflow as tf


def load_image(path, size):
    """Notebook 03, section 2: decode an image file to float32 RGB of shape (size, size, 3), values 0..255."""
    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    return tf.image.resize(image, (size, size))  # bilinear; float32, no scaling: the model does that


def build_classifier(base, dropout=0.2):
    """Notebook 03, section 3: raw RGB pixels (0-255) -> base -> P(hot dog), one sigmoid unit."""
    inputs = keras.Input(base.input_shape[1:], name="pixels")
    x = keras.layers.Rescaling(1 / 127.5, offset=-1, name="preprocess")(inputs)  # MobileNetV2 wants -1..1
    x = base(x, training=False)  # BatchNorm in inference mode, even after unfreezing
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="hotdog_probability")(x)
    return keras.Model(inputs, outputs, name="hotdog_classifier")
