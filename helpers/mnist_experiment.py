"""Notebook 02's with/without-augmentation experiment on MNIST, saved from its cells for the five-seed benchmark.

Each function is written, and explained, in a cell of ``notebooks/02_image_data_generator.ipynb`` marked
``# Saved in helpers/mnist_experiment.py``; ``tests/test_saved_cells.py`` keeps the two copies identical.
``benchmarks/mnist_augmentation_seeds.py`` repeats the experiment over several seeds with them.

- :func:`stratified_subset`, :func:`small_cnn`: section 5, the with/without-augmentation experiment;
- :func:`augmentation_layers`, :func:`augmented_dataset`: section 6, the same experiment with Keras layers in
  ``tf.data``.

Example::

    >>> from helpers import data, mnist_experiment
    >>> (x_train, y_train), _ = data.load_mnist()                          # doctest: +SKIP
    >>> x, y = mnist_experiment.stratified_subset(x_train, y_train, 50)    # doctest: +SKIP
    >>> model = mnist_experiment.small_cnn()                               # doctest: +SKIP
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


def stratified_subset(x, y, per_class, seed=0):
    """``per_class`` random examples of every class, shuffled; the same ``seed`` gives the same subset."""
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x and y differ in length: {len(x)} != {len(y)}")
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(y):
        where = np.flatnonzero(y == label)
        if not 1 <= per_class <= len(where):
            raise ValueError(f"per_class must be between 1 and {len(where)} (class {label}), got {per_class}")
        chosen.append(rng.choice(where, size=per_class, replace=False))
    order = rng.permutation(np.concatenate(chosen))
    return x[order], y[order]


def small_cnn(input_shape=(28, 28, 1), num_classes=10):
    """A compiled two-block CNN (12,810 weights for 28×28×1 digits) for pixels scaled to [0, 1]."""
    model = keras.Sequential([
        keras.Input(input_shape),
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Dropout(0.25),
        keras.layers.Flatten(),
        keras.layers.Dense(num_classes, activation="softmax"),
    ], name="small_cnn")
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def augmentation_layers(seed=None, interpolation="nearest"):
    """The experiment's augmentation as Keras 3 layers: rotation ±10°, shifts ±10 %, zoom ±10 %."""
    geometry = {"fill_mode": "nearest", "interpolation": interpolation}
    return keras.Sequential([
        keras.layers.RandomRotation(10 / 360, seed=seed, **geometry),  # a fraction of a full turn
        keras.layers.RandomTranslation(0.1, 0.1, seed=None if seed is None else seed + 1, **geometry),
        keras.layers.RandomZoom(0.1, 0.1, seed=None if seed is None else seed + 2, **geometry),
    ], name="augmentation")


def augmented_dataset(x, y, augmentation, batch_size=32, seed=0):
    """``tf.data``: shuffle (anew every epoch) → batch → augment each batch → prefetch."""
    dataset = tf.data.Dataset.from_tensor_slices((np.asarray(x, "float32"), np.asarray(y)))
    dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True).batch(batch_size)

    def augment(images, labels):
        return augmentation(images, training=True), labels

    return dataset.map(augment, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
