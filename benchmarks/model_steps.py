#!/usr/bin/env python3
"""What one training or inference step costs for three backbones from ``keras.applications`` (notebook 04).

Each backbone gets notebook 03's head (``helpers.hotdog.build_classifier``). Measured per backbone, batch 32, at
224x224: images/s of a forward pass (inference), of a training step with the base frozen (notebook 03's first
stage), and of a training step with the top layers of the base unfrozen (BatchNorm layers stay frozen). Weights
are random (``weights=None``): speed does not depend on their values, and ResNet50's ImageNet weights are not
available offline.

    python benchmarks/model_steps.py               # every backbone, writes RESULTS.md
    python benchmarks/model_steps.py --smoke       # small input and one repeat, nothing saved
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time

import common  # benchmarks/common.py, beside this script (a script's folder is sys.path[0])

BATCH, SIZE = 32, 224
# keras.applications constructor and keyword arguments, and how many layers at the top of the base to unfreeze
BACKBONES = {
    "mobilenet_v2": ("MobileNetV2", {}, 29),
    "mobilenet": ("MobileNet", {"alpha": 0.25}, 12),
    "resnet50": ("ResNet50", {}, 10),
}


def time_calls(call, repeats: int) -> float:
    """Median seconds of ``call()`` after one warm-up call (tracing)."""
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return common.median(times)


def unfreeze_top(base, layers: int) -> int:
    """Make the top ``layers`` layers of ``base`` trainable, BatchNorm excepted; returns how many have weights."""
    import keras

    base.trainable = True
    for layer in base.layers[:-layers]:
        layer.trainable = False
    for layer in base.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    return sum(1 for layer in base.layers[-layers:] if layer.trainable and layer.weights)


def measure(name: str, size: int, repeats: int) -> dict:
    import keras
    import numpy as np

    from helpers import hotdog

    keras.utils.clear_session()  # a fresh graph per backbone: no retracing warnings from the previous one
    constructor, kwargs, top = BACKBONES[name]
    base = getattr(keras.applications, constructor)(include_top=False, weights=None, input_shape=(size, size, 3),
                                                    **kwargs)
    base.trainable = False
    model = hotdog.build_classifier(base)
    images = np.random.default_rng(0).uniform(0, 255, (BATCH, size, size, 3)).astype("float32")
    labels = np.random.default_rng(1).integers(0, 2, (BATCH, 1)).astype("float32")
    forward = time_calls(lambda: model.predict_on_batch(images), repeats)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    frozen = time_calls(lambda: model.train_on_batch(images, labels), repeats)
    with_weights = unfreeze_top(base, top)
    model.compile(optimizer=keras.optimizers.Adam(1e-5), loss="binary_crossentropy")  # recompile after unfreezing
    unfrozen = time_calls(lambda: model.train_on_batch(images, labels), repeats)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    return {"forward": BATCH / forward, "frozen": BATCH / frozen, "unfrozen": BATCH / unfrozen, "top": top,
            "with_weights": with_weights, "trainable": trainable}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=10, help="timed batches per measurement (median)")
    parser.add_argument("--smoke", action="store_true", help="64x64 inputs, 1 repeat, nothing saved")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    rows = []
    size = 64 if args.smoke else SIZE
    for name in BACKBONES:
        r = measure(name, size, 1 if args.smoke else args.repeats)
        print(f"{name:<14}{size}px  forward {r['forward']:6.1f} img/s   train (frozen) {r['frozen']:6.1f} img/s   "
              f"train (top {r['top']} layers) {r['unfrozen']:6.1f} img/s", flush=True)
        # column order kept from earlier runs: notebook 04 reads the top-unfrozen training step in column 4
        rows.append([name, f"{size}x{size}", f"{r['forward']:.1f}", f"{r['unfrozen']:.1f}",
                     f"{r['top']} ({r['with_weights']} with weights)", f"{r['trainable']:,}", f"{r['frozen']:.1f}"])
    if not args.smoke:
        common.save("model_steps", {
            "title": "Model step cost per backbone",
            "command": "python benchmarks/model_steps.py",
            "machine": common.machine(),
            "note": f"Measured by benchmarks/model_steps.py on {datetime.date.today()}.",
            "method": (f"Batch {BATCH} of random pixels; `keras.applications.<backbone>(include_top=False, "
                       "weights=None)` under notebook 03's head (`helpers.hotdog.build_classifier`: rescaling, base "
                       "called with training=False, global pooling, dropout, Dense(1, sigmoid)); MobileNet at width "
                       "0.25. Forward = `predict_on_batch`; train = `train_on_batch` with Adam, first with the base "
                       "frozen, then with the top layers unfrozen (BatchNorm stays frozen) and the model recompiled. "
                       f"Median of {args.repeats} batches after one warm-up batch."),
            "headers": ["backbone", "input", "forward img/s", "train img/s (top unfrozen)", "top layers unfrozen",
                        "trainable parameters (top unfrozen)", "train img/s (frozen base)"],
            "rows": rows,
        })
    return 0


if __name__ == "__main__":
    sys.exit(main())
