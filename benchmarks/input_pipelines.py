#!/usr/bin/env python3
"""Input-pipeline throughput on the hot-dog photos: four ways to feed 224x224 batches of 32 (notebook 04).

    decode_only    tf.data, decode + resize only: the ceiling, no augmentation at all
    idg            ImageDataGenerator.flow_from_directory: Keras' legacy generator (NumPy/SciPy, per image)
    keras_layers   image_dataset_from_directory + Keras 3 preprocessing layers mapped over the batches
    tf_data        tf.data: decode only a random crop window, stateless tf.image ops, parallel map, prefetch

The pipelines are notebook 04's, saved in helpers/pipelines.py; its section 2 says exactly what each one does to
a photo (the three augmenting ones flip and jitter brightness and contrast; tf_data crops anywhere, the Keras APIs
zoom into the centre). The photos are repeated (via symlinks) to a few thousand per epoch. Each variant runs in
its own process, one after the other in this one run, so the ratios are comparable; images/s is the median of the
timed epochs after one warm-up epoch, and peak memory is the process's maximum resident set size.

    python benchmarks/input_pipelines.py                     # full run, writes RESULTS.md
    python benchmarks/input_pipelines.py --smoke             # tiny input, a quick check that every variant runs
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common  # benchmarks/common.py, beside this script (a script's folder is sys.path[0])


def run_variant(variant: str, folder: Path, epochs: int) -> dict:
    from helpers import pipelines

    batches = pipelines.make_pipeline(variant, folder)
    pipelines.epoch_seconds(batches, epochs=1, warmup=0)  # warm-up: tracing, page cache
    cpu_start = time.process_time()  # CPU time of every thread of this process: robust to other load
    times, images = pipelines.epoch_seconds(batches, epochs, warmup=0)
    cpu_ms_per_image = (time.process_time() - cpu_start) / (images * epochs) * 1000
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"images_per_epoch": images, "epoch_seconds": times, "images_per_second": images / common.median(times),
            "cpu_ms_per_image": cpu_ms_per_image, "peak_mib": peak / 2**20 if sys.platform == "darwin" else peak / 1024}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=20, help="how often each training photo is repeated")
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs per variant (after one warm-up)")
    parser.add_argument("--smoke", action="store_true", help="tiny run: 1 copy, 1 epoch, nothing saved")
    parser.add_argument("--variant", help=argparse.SUPPRESS)  # internal: one variant, JSON out
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.variant:
        print(json.dumps(run_variant(args.variant, args.folder, args.epochs)))
        return 0

    from helpers import data, pipelines
    copies, epochs = (1, 1) if args.smoke else (args.copies, args.epochs)
    source = data.hotdog_dir("hotdog" if data.is_installed("hotdog") else "hotdog-mini")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        count = pipelines.repeated_folder(source / "train", copies, Path(tmp))
        print(f"{count} images per epoch ({source.name} x {copies}), {epochs} timed epochs per variant", flush=True)
        for key in pipelines.PIPELINES:
            out = subprocess.run([sys.executable, __file__, "--variant", key, "--folder", tmp, "--epochs", str(epochs)],
                                 capture_output=True, text=True, check=True)
            results[key] = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{key:<14}{results[key]['images_per_second']:8.0f} img/s   "
                  f"{results[key]['cpu_ms_per_image']:5.2f} CPU ms/img   "
                  f"peak {results[key]['peak_mib']:.0f} MiB", flush=True)
    if args.smoke:
        return 0
    speed = {k: r["images_per_second"] for k, r in results.items()}
    cpu = {k: r["cpu_ms_per_image"] for k, r in results.items()}
    rows = [[k, pipelines.PIPELINES[k], f"{speed[k]:.0f}", f"{speed[k] / speed['idg']:.1f}x", f"{cpu[k]:.2f}",
             f"{r['peak_mib']:.0f} MiB", ", ".join(f"{t:.1f}" for t in r["epoch_seconds"])]
            for k, r in results.items()]
    findings = (f"Targets: tf_data at least 3x idg in images/s -> measured {speed['tf_data'] / speed['idg']:.1f}x; "
                f"tf_data's CPU time per image at most 1.0x decode_only's -> measured "
                f"{cpu['tf_data'] / cpu['decode_only']:.2f}x (decode_only/tf_data in images/s: "
                f"{speed['decode_only'] / speed['tf_data']:.2f}).")
    common.save("input_pipelines", {
        "title": "Input pipelines: 224x224 augmented batches of 32 from JPEG files",
        "command": "python benchmarks/input_pipelines.py",
        "machine": common.machine(),
        "note": f"Measured by benchmarks/input_pipelines.py on {datetime.date.today()}, pipelines as in "
                "helpers/pipelines.py.",
        "method": (f"{count} images per epoch ({source.name}'s training photos, each repeated {copies} times), "
                   f"batch {pipelines.BATCH}, {pipelines.SIZE}x{pipelines.SIZE}; one warm-up epoch then {epochs} "
                   "timed epochs per variant, each "
                   "variant in its own process; images/s = images per epoch / median epoch time; CPU ms per image = "
                   "CPU time of all the process's threads over the timed epochs / images (robust to other load on "
                   "the machine, and what a pipeline costs when it runs beside training); peak memory = "
                   "maximum resident set size of that process. Augmentation (helpers/pipelines.py, notebook 04 "
                   "section 2): horizontal flip, brightness and contrast jitter of 20%, and a random-resized crop to "
                   "25-100% of the area (tf_data, which decodes only the crop window of each JPEG) or a zoom into "
                   "the centre to 25-100% of the area (idg, keras_layers); decode_only has none and decodes "
                   "whole photos."),
        "headers": ["pipeline", "what it is", "images/s", "vs idg", "CPU ms per image", "peak memory",
                    "epoch times (s)"],
        "rows": rows,
        "findings": findings,
    })
    print(findings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
