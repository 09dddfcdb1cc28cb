"""The hot-dog classifier of notebook 03 and its input pipeline, saved from the notebook's cells.

Notebook 03 writes these functions in cells marked ``# Saved in helpers/hotdog.py``
(``tests/test_saved_cells.py`` keeps the two copies identical); notebook 04, the
benchmarks and ``python -m helpers.classify`` import them from here.

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
import numpy as np
import tensorflow as tf

from helpers.augment import random_resized_crop


def load_image(path, size):
    """Notebook 03, section 4: decode an image file to float32 RGB of shape (size, size, 3), values 0..255."""
    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    return tf.image.resize(image, (size, size))  # bilinear; float32, no scaling: the model does that


def augment_image(image, seed):
    """Notebook 03, section 4: a random left-right flip, then a random crop of 50-100 % of the area resized back."""
    flip_seed, crop_seed = tf.unstack(tf.random.split(seed, 2))
    image = tf.image.stateless_random_flip_left_right(image, flip_seed)
    return random_resized_crop(image, crop_seed, size=image.shape[:2], area=(0.5, 1.0))


def image_dataset(paths, labels, size=224, batch_size=32, shuffle=False, augment=False, seed=0):
    """Notebook 03, section 4: batches of (float32 RGB images 0..255, labels), decoded once and cached."""
    ds = tf.data.Dataset.from_tensor_slices(([str(path) for path in paths], np.asarray(labels, "float32")))
    ds = ds.map(lambda path, label: (load_image(path, size), label), num_parallel_calls=tf.data.AUTOTUNE).cache()
    if shuffle:
        ds = ds.shuffle(len(paths), seed=seed)  # a new order every epoch
    if augment:  # one seed pair per photo, from a random stream that is drawn anew every epoch
        seeds = tf.data.Dataset.random(seed, rerandomize_each_iteration=True).batch(2)
        ds = tf.data.Dataset.zip(ds, seeds).map(lambda example, pair: (augment_image(example[0], pair), example[1]),
                                                num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def build_classifier(base, dropout=0.2):
    """Notebook 03, section 5: raw RGB pixels (0-255) -> base -> P(hot dog), one sigmoid unit."""
    inputs = keras.Input(base.input_shape[1:], name="pixels")
    x = keras.layers.Rescaling(1 / 127.5, offset=-1, name="preprocess")(inputs)  # MobileNetV2 wants -1..1
    x = base(x, training=False)  # BatchNorm in inference mode, even after unfreezing
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="hotdog_probability")(x)
    return keras.Model(inputs, outputs, name="hotdog_classifier")


def unfreeze_top(base, n):
    """Notebook 03, section 8: make the top n layers of base trainable, except its BatchNormalization layers."""
    base.trainable = True
    for layer in base.layers[:-n]:
        layer.trainable = False
    for layer in base.layers[-n:]:
        layer.trainable = not isinstance(layer, keras.layers.BatchNormalization)  # keep ImageNet's statistics
