"""Notebook 04's input pipelines and timing loops, saved from its cells; benchmarks/input_pipelines.py runs them.

Four ways to feed 224x224 float32 batches of 32, raw RGB in 0..255, from a folder of JPEG photos (one sub-folder
per class), named in :data:`PIPELINES`; notebook 04's section 2 tables what each one does to a photo.

Example::

    >>> from helpers import pipelines
    >>> batches = pipelines.tf_data_pipeline("photos/")                       # doctest: +SKIP
    >>> seconds, images = pipelines.epoch_seconds(batches, epochs=2)          # doctest: +SKIP
    >>> images / min(seconds)                                                 # doctest: +SKIP
    412.3
"""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

PIPELINES = {"decode_only": "tf.data, decode + resize only", "idg": "ImageDataGenerator.flow_from_directory",
             "keras_layers": "image_dataset_from_directory + Keras layers",
             "tf_data": "tf.data, crop-window decode + stateless tf.image ops"}
SIZE, BATCH = 224, 32
AREA, RATIO, JITTER = (0.25, 1.0), (3 / 4, 4 / 3), 0.2
CLASSES = ["not-hotdog", "hotdog"]  # label 0, label 1 (alphabetical order would make hotdog 0)
ImageDataGenerator = tf.keras.preprocessing.image.ImageDataGenerator


def read_photo(path):
    """Notebook 04, section 1: the file's bytes, still encoded, and its label: 1.0 if its folder is "hotdog"."""
    contents = tf.io.read_file(path)
    label = tf.cast(tf.strings.split(path, os.sep)[-2] == "hotdog", tf.float32)
    return contents, label


def crop_box(shape, seed):
    """Notebook 04, section 1: a random box of an image of ``shape``, 25-100% of its area, aspect 3:4 to 4:3.

    Returns ``begin`` (y, x, 0) and ``size`` (height, width, -1), as ``tf.slice`` takes them; stateless.
    """
    begin, size, _ = tf.image.stateless_sample_distorted_bounding_box(
        shape, bounding_boxes=tf.zeros([1, 0, 4]), seed=seed, min_object_covered=0.0, area_range=AREA,
        aspect_ratio_range=RATIO, use_image_if_no_bounding_boxes=True)
    return begin, size


def random_crop(photo, seed):
    """Notebook 04, section 1: a random crop, uint8 RGB, of a decoded image or of an image file's bytes.

    A JPEG file is decoded only inside the box; other formats (PNG, GIF, BMP) are decoded whole, then cropped.
    """
    if photo.dtype != tf.string:  # already decoded
        begin, size = crop_box(tf.shape(photo), seed)
        return tf.image.crop_to_bounding_box(photo, begin[0], begin[1], size[0], size[1])

    def jpeg():
        begin, size = crop_box(tf.io.extract_jpeg_shape(photo), seed)
        return tf.io.decode_and_crop_jpeg(photo, tf.concat([begin[:2], size[:2]], axis=0), channels=3)

    def other_format():
        return random_crop(tf.io.decode_image(photo, channels=3, expand_animations=False), seed)

    return tf.cond(tf.io.is_jpeg(photo), jpeg, other_format)


def augment_photo(photo, seed):
    """Notebook 04, section 1: random crop, flip, brightness ±51, contrast x0.8-1.2, resize to SIZE; stateless.

    ``photo``: a file's bytes or a uint8 RGB image; ``seed``: shape-(2,) integers. Returns float32 (SIZE, SIZE, 3)
    in 0..255. The colours change on the crop, before the resize: on photos this small, fewer pixels.
    """
    crop_seed, flip_seed, brightness_seed, contrast_seed = tf.unstack(tf.random.split(seed, 4))
    image = tf.image.stateless_random_flip_left_right(random_crop(photo, crop_seed), flip_seed)
    image = tf.image.stateless_random_brightness(tf.cast(image, tf.float32), JITTER * 255, brightness_seed)
    image = tf.image.stateless_random_contrast(image, 1 - JITTER, 1 + JITTER, contrast_seed)
    return tf.image.resize(tf.clip_by_value(image, 0.0, 255.0), (SIZE, SIZE))


def tf_data_pipeline(folder, *, augment=True, parallel=True, prefetch=True, seed=0):
    """Notebook 04, section 1: batches of (images, labels) from ``folder/<class>/*.jpg``, float32 RGB in 0..255.

    ``augment=False`` only decodes and resizes. ``parallel`` and ``prefetch`` switch the parallel map and the
    prefetch on or off (tf.data's automatic ones too), so that we can measure what each one buys.
    """
    files = tf.data.Dataset.list_files(str(Path(folder) / "*" / "*.jpg"), shuffle=True, seed=seed)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)  # new draws every epoch

    def prepare(path, element_seed):
        contents, label = read_photo(path)
        if augment:
            return augment_photo(contents, element_seed), label
        return tf.image.resize(tf.io.decode_jpeg(contents, channels=3), (SIZE, SIZE)), label

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


def epoch_seconds(batches, epochs, warmup=1):
    """Notebook 04, section 4: time ``epochs`` passes over ``batches`` after ``warmup`` untimed ones.

    Returns (seconds of each timed pass, images per pass). A Keras generator never stops by itself:
    ``len(batches)`` batches make its pass.
    """
    if epochs < 1 or warmup < 0:
        raise ValueError(f"need epochs >= 1 and warmup >= 0, got {epochs} and {warmup}")
    steps = None if isinstance(batches, tf.data.Dataset) else len(batches)
    times = []
    for epoch in range(warmup + epochs):
        start, images = time.perf_counter(), 0
        for x, _ in itertools.islice(batches, steps):
            images += len(x)
        if epoch >= warmup:
            times.append(time.perf_counter() - start)
    return times, images


def simulated_training_seconds(batches, step_seconds, steps=None):
    """Notebook 04, section 4: wall time of one pass in which every batch is followed by a training step.

    The step is a ``time.sleep``: a stand-in for work done elsewhere (on a GPU) while the CPU is free. ``steps``
    batches make the pass (default: all of a dataset, ``len(batches)`` of a Keras generator).
    """
    if step_seconds < 0:
        raise ValueError(f"step_seconds must be >= 0, got {step_seconds}")
    steps = steps or (None if isinstance(batches, tf.data.Dataset) else len(batches))
    start = time.perf_counter()
    for _ in itertools.islice(batches, steps):
        time.sleep(step_seconds)
    return time.perf_counter() - start

