"""Is the augmentation effect of notebook 02 real? The experiment, repeated over several seeds.

For every seed: a fresh stratified MNIST subset (``--per-class`` images of each digit), a fresh small CNN,
trained ``--epochs`` epochs three ways (no augmentation, ImageDataGenerator, Keras layers in tf.data) with the
same label-preserving augmentation as the notebook; final accuracy on the full 10,000-image test set.
Prints one line per run, then a Markdown summary (per-seed table, mean, min/max of the gains).

    TF_CPP_MIN_LOG_LEVEL=2 .venv/bin/python benchmarks/mnist_augmentation_seeds.py --seeds 0 1 2 3 4
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

from helpers import data, experiments, generators

# The notebook's augmentation: small rotations, shifts and zooms keep a digit the same digit.
AUGMENTATION = {"rotation_range": 10, "width_shift_range": 0.1, "height_shift_range": 0.1, "zoom_range": 0.1}
WAYS = ("baseline", "generator", "layers", "layers-nearest")


def run(way: str, x, y, x_test, y_test, epochs: int, seed: int) -> experiments.RunResult:
    if way == "baseline":
        return experiments.run_baseline(x, y, x_test, y_test, epochs=epochs, seed=seed)
    if way == "generator":
        datagen = generators.ImageDataGenerator(rescale=1 / 255, **AUGMENTATION)
        return experiments.run_with_generator(datagen, x, y, x_test, y_test, epochs=epochs, seed=seed)
    # "layers": bilinear, like the generator, but every layer resamples again (more blur);
    # "layers-nearest": nearest-neighbour resampling, no blur added.
    interpolation = "nearest" if way == "layers-nearest" else "bilinear"
    layers = generators.keras_layers_for(AUGMENTATION, value_range=(0, 1), interpolation=interpolation, seed=seed)
    return experiments.run_with_layers(layers, x, y, x_test, y_test, epochs=epochs, seed=seed, name=way)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--per-class", type=int, default=50)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--ways", nargs="+", choices=WAYS, default=["baseline", "generator", "layers"])
    args = parser.parse_args()

    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    print(f"# Python {platform.python_version()}, {os.cpu_count()} CPUs, load average at start "
          f"{os.getloadavg()[0]:.1f}; per_class={args.per_class}, epochs={args.epochs}, augmentation={AUGMENTATION}")
    results: dict[int, dict[str, experiments.RunResult]] = {}
    started = time.perf_counter()
    for seed in args.seeds:
        x, y = experiments.stratified_subset(x_train, y_train, args.per_class, seed=seed)
        results[seed] = {}
        for way in args.ways:
            t0 = time.perf_counter()
            result = run(way, x, y, x_test, y_test, args.epochs, seed)
            results[seed][way] = result
            print(f"seed {seed} {way:<9} test accuracy {result.test_accuracy:.4f}  best epoch "
                  f"{max(result.history['val_accuracy']):.4f}  train s/epoch {result.steady_epoch_seconds:.2f}  "
                  f"run {time.perf_counter() - t0:.0f} s  load {os.getloadavg()[0]:.1f}", flush=True)
    print(f"\ntotal {time.perf_counter() - started:.0f} s\n")

    header = "| seed | " + " | ".join(args.ways) + " |" + "".join(
        f" {way} − baseline |" for way in args.ways if way != "baseline" and "baseline" in args.ways)
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    gains: dict[str, list[float]] = {way: [] for way in args.ways if way != "baseline"}
    for seed, by_way in results.items():
        cells = [f"{by_way[way].test_accuracy:.4f}" for way in args.ways]
        if "baseline" in by_way:
            for way in gains:
                gains[way].append(by_way[way].test_accuracy - by_way["baseline"].test_accuracy)
                cells.append(f"{gains[way][-1]:+.4f}")
        print(f"| {seed} | " + " | ".join(cells) + " |")
    means = [f"{statistics.mean(r[w].test_accuracy for r in results.values()):.4f}" for w in args.ways]
    if "baseline" in args.ways:
        means += [f"{statistics.mean(g):+.4f}" for g in gains.values()]
    print("| mean | " + " | ".join(means) + " |")
    for way, values in gains.items():
        if values:
            print(f"\n{way} − baseline: min {min(values):+.4f}, max {max(values):+.4f}, "
                  f"mean {statistics.mean(values):+.4f}")
    for way in args.ways:
        times = [r[way].steady_epoch_seconds for r in results.values()]
        print(f"{way}: median training seconds per epoch (epochs 2..): {statistics.median(times):.2f}")


if __name__ == "__main__":
    main()
