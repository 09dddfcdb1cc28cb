"""Notebook 04's input pipelines (saved from its cells) and the timing plumbing around them (benchmarks/).

Four ways to feed 224x224 float32 batches of 32 from a folder of JPEG photos (one sub-folder per class), as raw
RGB in 0..255, which is what notebook 03's model takes:

* ``"decode_only"``: ``tf.data``, decode + resize, no augmentation: the ceiling (:func:`tf_data_pipeline` with
  ``augment=False``, notebook 04 section 1);
* ``"idg"``: Keras' legacy ``ImageDataGenerator.flow_from_directory`` (:func:`idg_pipeline`, section 2);
* ``"keras_layers"``: ``image_dataset_from_directory`` + Keras preprocessing layers (:func:`keras_layers_pipeline`,
  section 2);
* ``"tf_data"``: ``tf.data`` + stateless ``tf.image`` ops (:func:`tf_data_pipeline`, section 1).

The three augmenting pipelines flip left-right and jitter contrast (x0.8-1.2) alike; they differ in the crop
(``tf_data``: a random-resized crop anywhere in the photo; the Keras APIs: a zoom-in about the centre) and in
brightness (additive ±20% of 255, except ``idg``'s multiplicative x0.8-1.2), as notebook 04's table says.

Example::

    >>> from helpers import pipelines
    >>> batches = pipelines.make_pipeline("tf_data", "photos/")              # doctest: +SKIP
    >>> seconds, images = pipelines.epoch_seconds(batches, epochs=2)          # doctest: +SKIP
    >>> images / min(seconds)                                                 # doctest: +SKIP
    412.3
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from helpers import augment

PIPELINES = {
    "decode_only": "tf.data, decode + resize only",
    "idg": "ImageDataGenerator.flow_from_directory",
    "keras_layers": "image_dataset_from_directory + Keras layers",
    "tf_data": "tf.data + stateless tf.image ops",
}
SIZE, BATCH = 224, 32
AREA, RATIO, JITTER = (0.25, 1.0), (3 / 4, 4 / 3), 0.2
CLASSES = ["not-hotdog", "hotdog"]  # label 0, label 1 (alphabetical order would make hotdog 0)
ImageDataGenerator = tf.keras.preprocessing.image.ImageDataGenerator


def read_photo(path):
    """Notebook 04, section 1: decode one JPEG file to uint8 RGB; label 1.0 if its folder is "hotdog", else 0.0."""
    image = tf.io.decode_jpeg(tf.io.read_file(path), channels=3)
    label = tf.cast(tf.strings.split(path, os.sep)[-2] == "hotdog", tf.float32)
    return image, label


def augment_photo(image, seed):
    """Notebook 04, section 1: random-resized crop to SIZE, flip, brightness ±51, contrast x0.8-1.2; stateless.

    ``image``: uint8 RGB of any size; ``seed``: shape-(2,) integers. Returns float32 (SIZE, SIZE, 3) in 0..255.
    """
    crop_seed, flip_seed, brightness_seed, contrast_seed = tf.unstack(tf.random.split(seed, 4))
    image = augment.random_resized_crop(image, crop_seed, SIZE, area=AREA, ratio=RATIO)  # float32, 0..255
    image = tf.image.stateless_random_flip_left_right(image, flip_seed)
    image = tf.image.stateless_random_brightness(image, JITTER * 255, brightness_seed)
    image = tf.image.stateless_random_contrast(image, 1 - JITTER, 1 + JITTER, contrast_seed)
    return tf.clip_by_value(image, 0.0, 255.0)


def tf_data_pipeline(folder, *, augment=True, parallel=True, prefetch=True, seed=0):
    """Notebook 04, section 1: batches of (images, labels) from ``folder/<class>/*.jpg``, float32 RGB in 0..255.

    ``augment=False`` only decodes and resizes. ``parallel`` and ``prefetch`` switch the parallel map and the
    prefetch on or off (tf.data's automatic ones too), so that we can measure what each one buys.
    """
    files = tf.data.Dataset.list_files(str(Path(folder) / "*" / "*.jpg"), shuffle=True, seed=seed)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)  # new draws every epoch

    def prepare(path, element_seed):
        image, label = read_photo(path)
        if augment:
            return augment_photo(image, element_seed), label
        return tf.image.resize(image, (SIZE, SIZE)), label

    dataset = tf.data.Dataset.zip(files, seeds).map(prepare, num_parallel_calls=tf.data.AUTOTUNE if parallel else None)
    options = tf.data.Options()
    options.threading.max_intra_op_parallelism = 1  # each image op on one thread; many images at once
    options.experimental_optimization.map_parallelization = parallel
    options.experimental_optimization.inject_prefetch = prefetch
    dataset = dataset.with_options(options).batch(BATCH)
    return dataset.prefetch(tf.data.AUTOTUNE) if prefetch else dataset


def contrast_jitter(image):
    """Notebook 04, section 2: contrast x0.8-1.2 for ImageDataGenerator, which has none (NumPy, one image)."""
    mean = image.mean(axis=(0, 1), keepdims=True)
    return np.clip((image - mean) * np.random.uniform(1 - JITTER, 1 + JITTER) + mean, 0, 255)


def idg_pipeline(folder, *, seed=0):
    """Notebook 04, section 2: Keras' legacy generator: resize, then flip, centre zoom, brightness, contrast."""
    generator = ImageDataGenerator(horizontal_flip=True, zoom_range=(AREA[0] ** 0.5, 1.0),
                                   brightness_range=(1 - JITTER, 1 + JITTER), preprocessing_function=contrast_jitter)
    return generator.flow_from_directory(folder, target_size=(SIZE, SIZE), batch_size=BATCH, class_mode="binary",
                                         classes=CLASSES, shuffle=True, seed=seed)


def keras_layers_pipeline(folder, *, parallel=True, prefetch=True, seed=0):
    """Notebook 04, section 2: ``image_dataset_from_directory`` (resize to SIZE) + Keras layers on whole batches."""
    layers = keras.Sequential([
        keras.layers.RandomFlip("horizontal", seed=seed),
        keras.layers.RandomZoom((-(1 - AREA[0] ** 0.5), 0.0), seed=seed + 1),  # height and width alike
        keras.layers.RandomBrightness(JITTER, value_range=(0, 255), seed=seed + 2),
        keras.layers.RandomContrast(JITTER, seed=seed + 3)])
    dataset = keras.utils.image_dataset_from_directory(folder, image_size=(SIZE, SIZE), batch_size=BATCH,
                                                       class_names=CLASSES, shuffle=True, seed=seed, verbose=False)
    dataset = dataset.map(lambda x, y: (layers(x, training=True), tf.cast(y, tf.float32)),
                          num_parallel_calls=tf.data.AUTOTUNE if parallel else None)
    return dataset.prefetch(tf.data.AUTOTUNE) if prefetch else dataset


# ---------------------------------------------------------------- plumbing for the benchmarks (no lesson)
def make_pipeline(kind: str, folder: str | Path, *, parallel: bool = True, prefetch: bool = True, seed: int = 0):
    """The pipeline named ``kind`` (a key of :data:`PIPELINES`) over ``folder``, for benchmarks/input_pipelines.py.

    ``parallel`` and ``prefetch`` do not apply to ``"idg"``, which has neither.
    """
    if kind not in PIPELINES:
        raise ValueError(f"kind must be one of {', '.join(PIPELINES)}; got {kind!r}")
    if kind == "idg":
        return idg_pipeline(folder, seed=seed)
    if kind == "keras_layers":
        return keras_layers_pipeline(folder, parallel=parallel, prefetch=prefetch, seed=seed)
    return tf_data_pipeline(folder, augment=kind == "tf_data", parallel=parallel, prefetch=prefetch, seed=seed)


def repeated_folder(source: str | Path, copies: int, target: str | Path) -> int:
    """Fill ``target/<class>/`` with ``copies`` symlinks to every photo in ``source/<class>/``.

    A few hundred photos become a few thousand "images" per epoch without using disk space
    (benchmarks/input_pipelines.py). Returns the count.
    """
    if copies < 1:
        raise ValueError(f"copies must be at least 1, got {copies}")
    photos = sorted(Path(source).glob("*/*.jpg"))
    if not photos:
        raise ValueError(f"{source} holds no <class>/*.jpg photos")
    for photo in photos:
        folder = Path(target) / photo.parent.name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(copies):
            (folder / f"{i:03d}_{photo.name}").symlink_to(photo.resolve())
    return len(photos) * copies


def _generator_steps(batches) -> int | None:
    """Steps in one epoch of a Keras generator (it never ends by itself); None for a dataset, which does."""
    return len(batches) if hasattr(batches, "on_epoch_end") else None


def epoch_seconds(batches, epochs: int, warmup: int = 1) -> tuple[list[float], int]:
    """Time ``epochs`` full passes over ``batches`` after ``warmup`` untimed ones (notebook 04 section 4, benchmarks).

    Returns ``(seconds per timed epoch, images per epoch)``. Works for datasets and for Keras generators
    (``len(batches)`` steps make an epoch).
    """
    if epochs < 1 or warmup < 0:
        raise ValueError(f"need epochs >= 1 and warmup >= 0, got {epochs} and {warmup}")
    steps = _generator_steps(batches)
    times, images = [], 0
    for epoch in range(warmup + epochs):
        start, seen = time.perf_counter(), 0
        for step, (x, _) in enumerate(batches):
            seen += len(x)
            if steps is not None and step + 1 == steps:
                break
        if epoch >= warmup:
            times.append(time.perf_counter() - start)
        images = seen
    return times, images


def simulated_training_seconds(batches, step_seconds: float, steps: int | None = None) -> float:
    """Wall time of one pass in which every batch is followed by a training step of ``step_seconds``.

    The step is a ``time.sleep``: a stand-in for work done elsewhere (an accelerator) while the CPU is free,
    which is when ``prefetch`` pays off (notebook 04 section 4). ``steps`` limits the pass (needed for Keras
    generators, which never end).
    """
    if step_seconds < 0:
        raise ValueError(f"step_seconds must be >= 0, got {step_seconds}")
    steps = steps if steps is not None else _generator_steps(batches)
    start = time.perf_counter()
    for step, _ in enumerate(batches):
        time.sleep(step_seconds)
        if steps is not None and step + 1 == steps:
            break
    return time.perf_counter() - start
