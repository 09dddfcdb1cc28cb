"""Is the augmentation effect of notebook 02 real? The experiment, repeated over several seeds.

For every seed: a fresh stratified MNIST subset (``--per-class`` images of each digit), a fresh small CNN
(``helpers.mnist_experiment``, saved from notebook 02's cells), trained ``--epochs`` epochs in each of the chosen
ways: no augmentation, the label-preserving augmentation as an ImageDataGenerator or as Keras layers in tf.data,
or horizontal flips only; final accuracy on the full 10,000-image test set.
Prints one line per run, then a Markdown summary (per-seed table, mean, min/max of the differences), which is
stored as ``helpers/measured/mnist_augmentation_seeds.md`` (notebook 02 reads its table there).

    TF_CPP_MIN_LOG_LEVEL=2 .venv/bin/python benchmarks/mnist_augmentation_seeds.py --seeds 0 1 2 3 4
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import keras
import numpy as np
import tensorflow as tf

from helpers import data
from helpers.mnist_experiment import augmentation_layers, augmented_dataset, small_cnn, stratified_subset

ImageDataGenerator = tf.keras.preprocessing.image.ImageDataGenerator
# The notebook's augmentation: small rotations, shifts and zooms keep a digit the same digit.
AUGMENTATION = {"rotation_range": 10, "width_shift_range": 0.1, "height_shift_range": 0.1, "zoom_range": 0.1}
WAYS = ("baseline", "generator", "layers", "layers-nearest", "flip")


class EpochTimer(keras.callbacks.Callback):
    """Training seconds of each epoch, from its start to its last batch (the evaluation is left out)."""

    def __init__(self):
        super().__init__()
        self.seconds, self._start, self._last = [], 0.0, 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._start = self._last = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self._last = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(self._last - self._start)


def run(way: str, x, y, x_test01, y_test, epochs: int, seed: int) -> tuple[dict, list[float]]:
    """Train one fresh model ``way``; returns its ``History.history`` (val_* = test set) and epoch seconds."""
    keras.utils.set_random_seed(seed)
    model = small_cnn()
    fit_args = {}
    if way == "baseline":
        train, fit_args = x / 255.0, {"y": y, "batch_size": 32}
    elif way in ("generator", "flip"):
        settings = AUGMENTATION if way == "generator" else {"horizontal_flip": True}
        train = ImageDataGenerator(rescale=1 / 255, **settings).flow(x, y, batch_size=32, shuffle=True, seed=seed)
    else:  # "layers": bilinear, every layer resamples again (more blur); "layers-nearest": no blur added
        layers = augmentation_layers(seed, interpolation="nearest" if way == "layers-nearest" else "bilinear")
        train, fit_args = augmented_dataset(x / 255.0, y, layers, batch_size=32, seed=seed), {"shuffle": False}
    timer = EpochTimer()
    history = model.fit(train, epochs=epochs, validation_data=(x_test01, y_test), validation_batch_size=1000,
                        callbacks=[timer], verbose=0, **fit_args)
    return history.history, timer.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--per-class", type=int, default=50)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--ways", nargs="+", choices=WAYS, default=["baseline", "generator", "layers"])
    parser.add_argument("--smoke", action="store_true", help="a quick check that the code runs: 1 seed, 5 digits "
                        "per class, 1 epoch, every way, 1,000 test digits")
    args = parser.parse_args()
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    if args.smoke:
        args.seeds, args.per_class, args.epochs, args.ways = [0], 5, 1, list(WAYS)
        x_test, y_test = x_test[:1000], y_test[:1000]
    x_test01 = x_test.reshape(-1, 28, 28, 1).astype("float32") / 255.0

    print(f"# Python {platform.python_version()}, {os.cpu_count()} CPUs, load average at start "
          f"{os.getloadavg()[0]:.1f}; per_class={args.per_class}, epochs={args.epochs}, augmentation={AUGMENTATION}")
    accuracy: dict[int, dict[str, float]] = {}
    seconds: dict[str, list[float]] = {way: [] for way in args.ways}
    started = time.perf_counter()
    for seed in args.seeds:
        x, y = stratified_subset(x_train, y_train, args.per_class, seed=seed)
        x = x.reshape(-1, 28, 28, 1).astype("float32")
        accuracy[seed] = {}
        for way in args.ways:
            t0 = time.perf_counter()
            history, epoch_seconds = run(way, x, y, x_test01, y_test, args.epochs, seed)
            accuracy[seed][way] = history["val_accuracy"][-1]
            steady = float(np.median(epoch_seconds[1:] or epoch_seconds))
            seconds[way].append(steady)
            print(f"seed {seed} {way:<14} test accuracy {accuracy[seed][way]:.4f}  best epoch "
                  f"{max(history['val_accuracy']):.4f}  train s/epoch {steady:.2f}  "
                  f"run {time.perf_counter() - t0:.0f} s  load {os.getloadavg()[0]:.1f}", flush=True)
    print(f"\ntotal {time.perf_counter() - started:.0f} s\n")
    summarise(accuracy, seconds, args.ways)


def summarise(accuracy: dict[int, dict[str, float]], seconds: dict[str, list[float]], ways: list[str]) -> None:
    """The Markdown table (per seed, mean), each way's difference to the baseline, and the epoch times."""
    others = [way for way in ways if way != "baseline"] if "baseline" in ways else []
    header = "| seed | " + " | ".join(ways) + " |" + "".join(f" {way} − baseline |" for way in others)
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    gains: dict[str, list[float]] = {way: [] for way in others}
    for seed, by_way in accuracy.items():
        cells = [f"{by_way[way]:.4f}" for way in ways]
        for way in others:
            gains[way].append(by_way[way] - by_way["baseline"])
            cells.append(f"{gains[way][-1]:+.4f}")
        print(f"| {seed} | " + " | ".join(cells) + " |")
    means = [f"{statistics.mean(r[way] for r in accuracy.values()):.4f}" for way in ways]
    means += [f"{statistics.mean(g):+.4f}" for g in gains.values()]
    print("| mean | " + " | ".join(means) + " |")
    for way, values in gains.items():
        print(f"\n{way} − baseline: min {min(values):+.4f}, max {max(values):+.4f}, "
              f"mean {statistics.mean(values):+.4f}")
    for way in ways:
        print(f"{way}: median training seconds per epoch (epochs 2..): {statistics.median(seconds[way]):.2f}")


if __name__ == "__main__":
    main()
