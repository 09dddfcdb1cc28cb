"""Input pipelines that feed augmented 224x224 batches, and how fast they run (notebook 04, benchmarks/).

Four ways to feed the same kind of batches from a folder of JPEG photos (one sub-folder per class):

* ``"a"``: decode + resize only, with ``tf.data`` — the ceiling, no augmentation at all;
* ``"b"``: Keras' legacy ``ImageDataGenerator.flow_from_directory`` (NumPy/SciPy work, one image at a time);
* ``"c"``: ``image_dataset_from_directory`` + Keras preprocessing layers mapped over the batches;
* ``"d"``: ``tf.data`` + the course's stateless ops (:func:`helpers.augment.pipeline`), parallel map, prefetch.

All apply the same augmentation as closely as each API allows: horizontal flip, a random-resized crop (a
zoom-in for the Keras APIs: 25-100% of the area), brightness and contrast jitter (±20%).

Example::

    >>> from helpers import throughput
    >>> batches = throughput.make_pipeline("d", "photos/")               # doctest: +SKIP
    >>> throughput.images_per_second(batches, epochs=2)                  # doctest: +SKIP
    412.3
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

PIPELINES = {
    "a": "decode + resize only (tf.data)",
    "b": "ImageDataGenerator.flow_from_directory",
    "c": "image_dataset_from_directory + Keras layers",
    "d": "tf.data + helpers.augment",
}
SIZE, BATCH = 224, 32
AREA, RATIO, JITTER = (0.25, 1.0), (3 / 4, 4 / 3), 0.2


def repeated_folder(source: str | Path, copies: int, target: str | Path) -> int:
    """Fill ``target/<class>/`` with ``copies`` symlinks to every photo in ``source/<class>/``.

    A few hundred photos become a few thousand "images" per epoch without using disk space. Returns the count.
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


def _contrast(image: np.ndarray) -> np.ndarray:
    """Contrast jitter for ImageDataGenerator, which has none built in (NumPy, one image)."""
    mean = image.mean(axis=(0, 1), keepdims=True)
    return np.clip((image - mean) * np.random.uniform(1 - JITTER, 1 + JITTER) + mean, 0, 255)


def make_pipeline(kind: str, folder: str | Path, *, parallel: bool = True, prefetch: bool = True, seed: int = 0):
    """An iterable of ``(images, labels)`` batches for one epoch over ``folder``: float32 in [0, 1], 224x224.

    ``parallel`` and ``prefetch`` switch ``num_parallel_calls=AUTOTUNE`` and ``.prefetch(AUTOTUNE)`` on or
    off for the ``tf.data`` pipelines (``"a"``, ``"c"``, ``"d"``), to show what each one buys (``parallel=False``
    also turns off tf.data's own automatic map parallelisation, and ``prefetch=False`` its automatic prefetch,
    for ``"a"`` and ``"d"``).
    The ``"b"`` generator loops forever: :func:`images_per_second` stops it after one epoch.
    """
    import keras
    import tensorflow as tf

    if kind not in PIPELINES:
        raise ValueError(f"kind must be one of {sorted(PIPELINES)}, got {kind!r}")
    folder = Path(folder)
    calls = tf.data.AUTOTUNE if parallel else None
    if kind == "b":
        generator = tf.keras.preprocessing.image.ImageDataGenerator(
            rescale=1 / 255, horizontal_flip=True, zoom_range=(AREA[0] ** 0.5, 1.0),
            brightness_range=(1 - JITTER, 1 + JITTER), preprocessing_function=_contrast)
        return generator.flow_from_directory(folder, target_size=(SIZE, SIZE), batch_size=BATCH,
                                             class_mode="binary", shuffle=True, seed=seed)
    if kind == "c":
        layers = keras.Sequential([
            keras.layers.RandomFlip("horizontal", seed=seed),
            keras.layers.RandomZoom((-(1 - AREA[0] ** 0.5), 0.0), seed=seed + 1),
            keras.layers.RandomBrightness(JITTER, value_range=(0, 255), seed=seed + 2),
            keras.layers.RandomContrast(JITTER, seed=seed + 3),
            keras.layers.Rescaling(1 / 255)])
        dataset = keras.utils.image_dataset_from_directory(folder, image_size=(SIZE, SIZE), batch_size=BATCH,
                                                           label_mode="binary", shuffle=True, seed=seed,
                                                           verbose=False)
        dataset = dataset.map(lambda x, y: (layers(x, training=True), y), num_parallel_calls=calls)
        return dataset.prefetch(tf.data.AUTOTUNE) if prefetch else dataset

    files = sorted(str(p) for p in folder.glob("*/*.jpg"))
    labels = [float(Path(f).parent.name == "hotdog") for f in files]
    dataset = tf.data.Dataset.from_tensor_slices((files, labels)).shuffle(len(files), seed=seed)
    if kind == "a":
        def load(path, label):
            image = tf.io.decode_jpeg(tf.io.read_file(path), channels=3)
            return tf.image.resize(image, (SIZE, SIZE)) / 255.0, label
        dataset = dataset.map(load, num_parallel_calls=calls)
    else:
        from helpers import augment

        def load_and_augment(element, element_seed):
            path, label = element
            image = tf.io.decode_jpeg(tf.io.read_file(path), channels=3)
            # The random-resized crop replaces the resize, so augmenting adds little to (a)'s work.
            return augment.pipeline(image, element_seed, size=SIZE, area=AREA, ratio=RATIO, brightness=JITTER,
                                    contrast=JITTER, saturation=0.0, hue=0.0, dtype=tf.float32), label
        dataset = augment.seeded(dataset, seed=seed).map(load_and_augment, num_parallel_calls=calls)
    # Parallelism across images, one thread per image op: faster on a CPU than splitting each small op
    # between threads (see helpers.augment.augment_dataset). Applied to (a) too, so the ceiling is fair.
    options = tf.data.Options()
    options.threading.max_intra_op_parallelism = 1
    # tf.data silently parallelises a stateless map and injects a prefetch by itself: switch these off when a
    # sequential pipeline or one without prefetch is asked for, so the comparison shows what each one buys.
    options.experimental_optimization.map_parallelization = parallel
    options.experimental_optimization.inject_prefetch = prefetch
    dataset = dataset.with_options(options).batch(BATCH)
    return dataset.prefetch(tf.data.AUTOTUNE) if prefetch else dataset


def epoch_seconds(batches, epochs: int, warmup: int = 1) -> tuple[list[float], int]:
    """Time ``epochs`` full passes over ``batches`` after ``warmup`` untimed ones.

    Returns ``(seconds per timed epoch, images per epoch)``. Works for datasets and for Keras generators
    (``len(batches)`` steps make an epoch).
    """
    if epochs < 1 or warmup < 0:
        raise ValueError(f"need epochs >= 1 and warmup >= 0, got {epochs} and {warmup}")
    steps = len(batches) if hasattr(batches, "on_epoch_end") else None  # a Keras generator never ends
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


def images_per_second(batches, epochs: int = 3, warmup: int = 1) -> float:
    """Images per second over one epoch: the median of ``epochs`` timed epochs after ``warmup``."""
    times, images = epoch_seconds(batches, epochs, warmup)
    return images / float(np.median(times))


def simulated_training_seconds(batches, step_seconds: float, steps: int | None = None) -> float:
    """Wall time of one pass in which every batch is followed by a training step of ``step_seconds``.

    The step is a ``time.sleep``: a stand-in for work done elsewhere (an accelerator) while the CPU is free,
    which is when ``prefetch`` pays off: the pipeline prepares the next batch during the step. ``steps``
    limits the pass (needed for Keras generators, which never end).
    """
    if step_seconds < 0:
        raise ValueError(f"step_seconds must be >= 0, got {step_seconds}")
    steps = steps if steps is not None else (len(batches) if hasattr(batches, "on_epoch_end") else None)
    start = time.perf_counter()
    for step, _ in enumerate(batches):
        time.sleep(step_seconds)
        if steps is not None and step + 1 == steps:
            break
    return time.perf_counter() - start
