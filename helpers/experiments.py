"""The augmentation experiment of notebook 02: a small CNN on a small MNIST subset.

Three ways to feed the same model, so their accuracy and speed can be compared:

- :func:`run_baseline`: the plain images, no augmentation;
- :func:`run_with_generator`: the legacy ``ImageDataGenerator.flow`` (NumPy/SciPy, one image at a time);
- :func:`run_with_layers`: Keras 3 preprocessing layers mapped over a ``tf.data`` pipeline.

Every run trains on images scaled to [0, 1], evaluates on the given test set after each epoch (that is the
"validation" curve) and records how long each epoch's *training* took (evaluation excluded).

Example::

    >>> from helpers import data, experiments
    >>> (x, y), (x_test, y_test) = data.load_mnist()                      # doctest: +SKIP
    >>> x_small, y_small = experiments.stratified_subset(x, y, 100, seed=0)  # doctest: +SKIP
    >>> result = experiments.run_baseline(x_small, y_small, x_test, y_test, epochs=5)  # doctest: +SKIP
    >>> round(result.test_accuracy, 2)                                     # doctest: +SKIP
    0.9
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf


def stratified_subset(x: np.ndarray, y: np.ndarray, per_class: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``per_class`` random examples of every class, shuffled; the same ``seed`` gives the same subset.

    Raises ``ValueError`` if a class has fewer than ``per_class`` examples.
    """
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x and y differ in length: {len(x)} != {len(y)}")
    if per_class < 1:
        raise ValueError(f"per_class must be at least 1, got {per_class}")
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(y):
        where = np.flatnonzero(y == label)
        if len(where) < per_class:
            raise ValueError(f"class {label} has only {len(where)} examples, {per_class} were asked for")
        chosen.append(rng.choice(where, size=per_class, replace=False))
    order = rng.permutation(np.concatenate(chosen))
    return x[order], y[order]


def as_images(x: np.ndarray) -> np.ndarray:
    """float32 images of shape (N, H, W, 1) from (N, H, W) or (N, H, W, C) arrays, values unchanged."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 3:
        x = x[..., np.newaxis]
    if x.ndim != 4:
        raise ValueError(f"expected images of shape (N, H, W) or (N, H, W, C), got {x.shape}")
    return x


def small_cnn(input_shape: tuple[int, int, int] = (28, 28, 1), num_classes: int = 10,
              learning_rate: float = 1e-3) -> keras.Model:
    """A compiled two-block CNN (12,810 weights for 28×28×1 and 10 classes) for images scaled to [0, 1].

    Small on purpose: evaluating it on 10,000 test digits after every epoch stays cheap on a CPU.
    Conv(16) → MaxPool → Conv(32) → MaxPool → Dropout(0.25) → Flatten → Dense(num_classes, softmax);
    Adam, sparse categorical cross-entropy, accuracy.
    """
    if len(input_shape) != 3 or min(input_shape) < 1:
        raise ValueError(f"input_shape must be (height, width, channels), got {input_shape}")
    if num_classes < 2:
        raise ValueError(f"num_classes must be at least 2, got {num_classes}")
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
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


class EpochTimer(keras.callbacks.Callback):
    """Seconds each epoch spent training: from the epoch's start to its last training batch.

    The evaluation that ``fit`` runs at the end of an epoch (``validation_data``) is not counted,
    so the numbers compare input pipelines, not test-set sizes.
    """

    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []
        self._start = self._last = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._start = self._last = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self._last = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(self._last - self._start)


@dataclass
class RunResult:
    """What one training run produced: per-epoch metrics (``val_*`` are on the test set), the final test
    accuracy, the training seconds of each epoch, and the trained model."""

    name: str
    history: dict[str, list[float]]
    test_accuracy: float
    epoch_seconds: list[float] = field(default_factory=list)
    model: keras.Model | None = field(default=None, repr=False)

    @property
    def steady_epoch_seconds(self) -> float:
        """Median training time per epoch, leaving out the first (it includes tracing)."""
        times = self.epoch_seconds[1:] or self.epoch_seconds
        return float(np.median(times)) if times else float("nan")


def _check_run_args(x, y, x_test, y_test, epochs: int, batch_size: int) -> None:
    if len(x) != len(y) or len(x_test) != len(y_test):
        raise ValueError("images and labels differ in length")
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")


def _fit(name: str, model: keras.Model, train, x_test, y_test, epochs: int, verbose: int, **fit_args) -> RunResult:
    timer = EpochTimer()
    if isinstance(train, tf.data.Dataset):
        fit_args["shuffle"] = False  # the pipeline shuffles; fit's default True would only warn
    history = model.fit(train, epochs=epochs, validation_data=(x_test, y_test), validation_batch_size=1000,
                        callbacks=[timer], verbose=verbose, **fit_args)
    record = {key: [float(v) for v in values] for key, values in history.history.items()}
    return RunResult(name, record, record["val_accuracy"][-1], timer.seconds, model)


def run_baseline(x, y, x_test, y_test, *, epochs: int = 20, batch_size: int = 32, seed: int = 0,
                 verbose: int = 0, name: str = "no augmentation") -> RunResult:
    """Train :func:`small_cnn` on ``x / 255`` with no augmentation; evaluate on ``x_test / 255`` each epoch.

    ``x``, ``x_test``: images with pixel values 0..255; ``seed`` fixes weights, shuffling and dropout.
    """
    _check_run_args(x, y, x_test, y_test, epochs, batch_size)
    keras.utils.set_random_seed(seed)
    x, x_test = as_images(x) / 255.0, as_images(x_test) / 255.0
    model = small_cnn(x.shape[1:])
    return _fit(name, model, x, x_test, np.asarray(y_test), epochs, verbose, y=np.asarray(y), batch_size=batch_size)


def run_with_generator(datagen, x, y, x_test, y_test, *, epochs: int = 20, batch_size: int = 32, seed: int = 0,
                       verbose: int = 0, name: str = "ImageDataGenerator") -> RunResult:
    """Train :func:`small_cnn` on ``datagen.flow(x, y, seed=seed)``; the test set goes through ``datagen.standardize``.

    ``datagen`` must map 0..255 pixels to [0, 1] itself, e.g. ``ImageDataGenerator(rescale=1/255, ...)``;
    the test images get exactly the same scaling and no random transformation.
    """
    _check_run_args(x, y, x_test, y_test, epochs, batch_size)
    if not (hasattr(datagen, "flow") and hasattr(datagen, "standardize")):
        raise ValueError(f"expected an ImageDataGenerator, got {type(datagen).__name__}")
    keras.utils.set_random_seed(seed)
    x = as_images(x)
    x_test = datagen.standardize(as_images(x_test).copy())
    if x_test.max() > 1.0 + 1e-6:
        raise ValueError("the generator does not scale pixels to [0, 1]: create it with rescale=1/255")
    model = small_cnn(x.shape[1:])
    train = datagen.flow(x, np.asarray(y), batch_size=batch_size, shuffle=True, seed=seed)
    return _fit(name, model, train, x_test, np.asarray(y_test), epochs, verbose)


def augmented_dataset(x, y, augmentation: keras.layers.Layer | None, *, batch_size: int = 32,
                      seed: int = 0) -> tf.data.Dataset:
    """A ``tf.data`` pipeline: shuffle (reshuffled every epoch) → batch → augment → prefetch.

    ``x`` must already be scaled the way the model expects.  The augmentation is called with
    ``training=True`` on whole batches (each image gets its own random transformation).
    """
    if len(x) != len(y):
        raise ValueError(f"x and y differ in length: {len(x)} != {len(y)}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    ds = tf.data.Dataset.from_tensor_slices((as_images(x), np.asarray(y)))
    ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    if augmentation is not None:
        ds = ds.map(lambda images, labels: (augmentation(images, training=True), labels),
                    num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def run_with_layers(augmentation: keras.layers.Layer, x, y, x_test, y_test, *, epochs: int = 20,
                    batch_size: int = 32, seed: int = 0, verbose: int = 0,
                    name: str = "Keras layers + tf.data") -> RunResult:
    """Train :func:`small_cnn` on :func:`augmented_dataset` of ``x / 255``; evaluate on ``x_test / 255``.

    ``augmentation`` works on images in [0, 1] (e.g. a ``keras.Sequential`` of ``RandomRotation``,
    ``RandomTranslation``, ``RandomZoom`` ...); it never sees the test set.
    """
    _check_run_args(x, y, x_test, y_test, epochs, batch_size)
    if not callable(augmentation):
        raise ValueError(f"augmentation must be a Keras layer, got {type(augmentation).__name__}")
    keras.utils.set_random_seed(seed)
    x, x_test = as_images(x) / 255.0, as_images(x_test) / 255.0
    model = small_cnn(x.shape[1:])
    train = augmented_dataset(x, y, augmentation, batch_size=batch_size, seed=seed)
    return _fit(name, model, train, x_test, np.asarray(y_test), epochs, verbose)
