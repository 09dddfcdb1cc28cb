#!/usr/bin/env python3
"""What one training or inference step costs for each backbone in the course's registry.

For every backbone in ``helpers.models.BACKBONES``: images/s of a forward pass (inference) and of a training
step with the head plus the top layers unfrozen (``unfreeze_top`` with the backbone's default depth,
BatchNorm frozen), at the backbone's input size, batch 32. Weights are random (``weights=None``): speed does
not depend on their values, and ResNet50's ImageNet weights are not available offline.

    python benchmarks/model_steps.py               # every backbone, writes RESULTS.md
    python benchmarks/model_steps.py --smoke       # small input and one repeat, nothing saved
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

BATCH = 32


def frozen_classifier(name: str, size: int):
    """build_classifier's frozen path (base called with training=False) on a randomly initialised base."""
    import keras

    from helpers import models

    base = models.build_base(name, weights=None, input_size=size)
    base.trainable = False
    inputs = keras.Input((size, size, 3))
    x = models.preprocessing_layer(name)(inputs)
    x = keras.layers.GlobalAveragePooling2D()(base(x, training=False))
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x)), base


def time_calls(call, repeats: int) -> float:
    """Median seconds of ``call()`` after one warm-up call (tracing)."""
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return common.median(times)


def measure(name: str, size: int, repeats: int) -> dict:
    import keras
    import numpy as np

    from helpers import models

    model, base = frozen_classifier(name, size)
    images = np.random.default_rng(0).uniform(0, 255, (BATCH, size, size, 3)).astype("float32")
    labels = np.random.default_rng(1).integers(0, 2, (BATCH, 1)).astype("float32")
    forward = time_calls(lambda: model.predict_on_batch(images), repeats)
    unfrozen = models.unfreeze_top(base, models.get_backbone(name).fine_tune_layers)
    model.compile(optimizer=keras.optimizers.Adam(1e-5), loss="binary_crossentropy")
    train = time_calls(lambda: model.train_on_batch(images, labels), repeats)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    return {"forward": BATCH / forward, "train": BATCH / train, "unfrozen_layers": len(unfrozen),
            "trainable": trainable}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=10, help="timed batches per measurement (median)")
    parser.add_argument("--smoke", action="store_true", help="64x64 inputs, 1 repeat, nothing saved")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from helpers import models

    rows = []
    for name, backbone in models.BACKBONES.items():
        size = 64 if args.smoke else backbone.input_size
        result = measure(name, size, 1 if args.smoke else args.repeats)
        print(f"{name:<14}{size}px  forward {result['forward']:6.1f} img/s   "
              f"train (top {backbone.fine_tune_layers} layers) {result['train']:6.1f} img/s", flush=True)
        rows.append([name, f"{size}x{size}", f"{result['forward']:.1f}", f"{result['train']:.1f}",
                     f"{backbone.fine_tune_layers} ({result['unfrozen_layers']} with weights)",
                     f"{result['trainable']:,}"])
    if not args.smoke:
        common.save("model_steps", {
            "title": "Model step cost per backbone",
            "command": "python benchmarks/model_steps.py",
            "machine": common.machine(),
            "method": (f"Batch {BATCH} of random pixels; the classifier of notebook 03 (frozen `preprocess` layer, "
                       "base called with training=False, global pooling, Dense(1, sigmoid)) on a randomly initialised "
                       "base. Forward = `predict_on_batch`; train = `train_on_batch` after `unfreeze_top` (BatchNorm "
                       f"stays frozen), Adam. Median of {args.repeats} batches after one warm-up batch."),
            "headers": ["backbone", "input", "forward img/s", "train img/s (top unfrozen)", "top layers unfrozen",
                        "trainable parameters"],
            "rows": rows,
        })
    return 0


if __name__ == "__main__":
    sys.exit(main())
