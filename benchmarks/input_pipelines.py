#!/usr/bin/env python3
"""Input-pipeline throughput on the hot-dog photos: four ways to feed 224x224 augmented batches of 32.

    (a) decode + resize only, tf.data             the ceiling: no augmentation at all
    (b) ImageDataGenerator.flow_from_directory    Keras' legacy generator (NumPy/SciPy, per image)
    (c) image_dataset_from_directory + layers     Keras 3 preprocessing layers mapped over tf.data
    (d) tf.data + helpers.augment                 the course's stateless ops, parallel map, prefetch

All four apply the same augmentation as closely as each API allows: horizontal flip, a random-resized crop
(zoom-in for the Keras APIs), brightness and contrast jitter. The photos are repeated (via symlinks) to a few
thousand per epoch. Each variant runs in its own process, one after the other in this one run, so the
ratios are comparable; images/s is the median of the timed epochs after one warm-up epoch, and peak memory
is the process's maximum resident set size.

    python benchmarks/input_pipelines.py                     # full run, writes RESULTS.md
    python benchmarks/input_pipelines.py --smoke             # tiny input, a quick check that every variant runs
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

VARIANTS = {
    "a": "(a) decode + resize only (tf.data)",
    "b": "(b) ImageDataGenerator.flow_from_directory",
    "c": "(c) image_dataset_from_directory + Keras layers",
    "d": "(d) tf.data + helpers.augment",
}
SIZE, BATCH = 224, 32


def repeated_folder(source: Path, copies: int, target: Path) -> int:
    """``target/<class>/<copy>_<name>`` symlinks to every training photo of ``source``, ``copies`` times."""
    count = 0
    for photo in sorted(source.glob("train/*/*.jpg")):
        folder = target / photo.parent.name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(copies):
            (folder / f"{i:03d}_{photo.name}").symlink_to(photo)
            count += 1
    return count


def build(variant: str, folder: Path):
    """An iterable of (images, labels) batches for one epoch, for the given variant."""
    import keras
    import tensorflow as tf

    files = sorted(str(p) for p in folder.glob("*/*.jpg"))
    labels = [int(Path(f).parent.name == "hotdog") for f in files]
    if variant == "b":
        import numpy as np

        def contrast(image):  # no built-in contrast jitter in ImageDataGenerator
            mean = image.mean(axis=(0, 1), keepdims=True)
            return (image - mean) * np.random.uniform(0.8, 1.2) + mean

        generator = tf.keras.preprocessing.image.ImageDataGenerator(
            rescale=1 / 255, horizontal_flip=True, zoom_range=(0.5, 1.0), brightness_range=(0.8, 1.2),
            preprocessing_function=contrast)
        return generator.flow_from_directory(folder, target_size=(SIZE, SIZE), batch_size=BATCH,
                                             class_mode="binary", shuffle=True, seed=0)
    if variant == "c":
        layers = keras.Sequential([
            keras.layers.RandomFlip("horizontal", seed=0), keras.layers.RandomZoom((-0.5, 0.0), seed=1),
            keras.layers.RandomBrightness(0.2, value_range=(0, 255), seed=2), keras.layers.RandomContrast(0.2, seed=3),
            keras.layers.Rescaling(1 / 255)])
        dataset = keras.utils.image_dataset_from_directory(folder, image_size=(SIZE, SIZE), batch_size=BATCH,
                                                           label_mode="binary", shuffle=True, seed=0, verbose=False)
        return dataset.map(lambda x, y: (layers(x, training=True), y),
                           num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
    dataset = tf.data.Dataset.from_tensor_slices((files, labels)).shuffle(len(files), seed=0)
    if variant == "a":
        def load(path, label):
            image = tf.io.decode_jpeg(tf.io.read_file(path), channels=3)
            return tf.image.resize(image, (SIZE, SIZE)) / 255.0, label
        dataset = dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    else:
        from helpers import augment

        def load_and_augment(element, seed):
            path, label = element
            image = tf.io.decode_jpeg(tf.io.read_file(path), channels=3)
            # The random-resized crop replaces the resize: the augmentation adds little to (a)'s work.
            return augment.pipeline(image, seed, size=SIZE, area=(0.25, 1.0), ratio=(3 / 4, 4 / 3),
                                    brightness=0.2, contrast=0.2, saturation=0.0, hue=0.0,
                                    dtype=tf.float32), label
        dataset = augment.seeded(dataset, seed=0).map(load_and_augment, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(BATCH).prefetch(tf.data.AUTOTUNE)


def run_variant(variant: str, folder: Path, epochs: int) -> dict:
    batches = build(variant, folder)
    steps = len(batches) if variant == "b" else None  # the generator loops forever
    times, images = [], 0
    for epoch in range(epochs + 1):  # epoch 0 is the warm-up (tracing, page cache)
        start, seen = time.perf_counter(), 0
        for step, (x, _) in enumerate(batches):
            seen += len(x)
            if steps is not None and step + 1 == steps:
                break
        if epoch:
            times.append(time.perf_counter() - start)
        images = seen
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_mib = peak / 2**20 if sys.platform == "darwin" else peak / 1024
    return {"images_per_epoch": images, "epoch_seconds": times,
            "images_per_second": images / common.median(times), "peak_mib": peak_mib}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=20, help="how often each training photo is repeated")
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs per variant (after one warm-up)")
    parser.add_argument("--smoke", action="store_true", help="tiny run: 1 copy, 1 epoch, nothing saved")
    parser.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)  # internal: one variant, JSON out
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.variant:
        print(json.dumps(run_variant(args.variant, args.folder, args.epochs)))
        return 0

    from helpers import data
    copies, epochs = (1, 1) if args.smoke else (args.copies, args.epochs)
    source = data.hotdog_dir("hotdog" if data.is_installed("hotdog") else "hotdog-mini")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        count = repeated_folder(source, copies, Path(tmp))
        print(f"{count} images per epoch ({source.name} x {copies}), {epochs} timed epochs per variant", flush=True)
        for key, title in VARIANTS.items():
            out = subprocess.run([sys.executable, __file__, "--variant", key, "--folder", tmp, "--epochs", str(epochs)],
                                 capture_output=True, text=True, check=True)
            results[key] = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{title:<52}{results[key]['images_per_second']:8.0f} img/s   "
                  f"peak {results[key]['peak_mib']:.0f} MiB", flush=True)
    if args.smoke:
        return 0
    speed = {k: r["images_per_second"] for k, r in results.items()}
    rows = [[VARIANTS[k], f"{speed[k]:.0f}", f"{speed[k] / speed['b']:.1f}x", f"{r['peak_mib']:.0f} MiB",
             ", ".join(f"{t:.1f}" for t in r["epoch_seconds"])] for k, r in results.items()]
    findings = (f"Target: (d) at least 3x (b) -> measured {speed['d'] / speed['b']:.1f}x; "
                f"(d) within 1.5x of (a) -> (a)/(d) = {speed['a'] / speed['d']:.2f}.")
    common.save("input_pipelines", {
        "title": "Input pipelines: 224x224 augmented batches of 32 from JPEG files",
        "command": "python benchmarks/input_pipelines.py",
        "machine": common.machine(),
        "method": (f"{count} images per epoch ({source.name}'s training photos, each repeated {copies} times), "
                   f"batch {BATCH}, {SIZE}x{SIZE}; one warm-up epoch then {epochs} timed epochs per variant, each "
                   "variant in its own process; images/s = images per epoch / median epoch time; peak memory = "
                   "maximum resident set size of that process. Augmentation: horizontal flip, random-resized crop "
                   "(zoom for the Keras APIs), brightness and contrast jitter."),
        "headers": ["pipeline", "images/s", "vs (b)", "peak memory", "epoch times (s)"],
        "rows": rows,
        "findings": findings,
    })
    print(findings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
