#!/usr/bin/env python3
"""Input-pipeline throughput on the hot-dog photos: four ways to feed 224x224 batches of 32 (notebook 04).

    decode_only    tf.data, decode + resize only: the ceiling, no augmentation at all
    idg            ImageDataGenerator.flow_from_directory: Keras' legacy generator (NumPy/SciPy, per image)
    keras_layers   image_dataset_from_directory + Keras 3 preprocessing layers mapped over the batches
    tf_data        tf.data: decode only a random crop window, stateless tf.image ops, parallel map, prefetch

The pipelines are notebook 04's, saved in helpers/pipelines.py; its section 2 says exactly what each one does to
a photo (the three augmenting ones flip and jitter brightness and contrast; tf_data crops anywhere, the Keras APIs
zoom into the centre). The photos are repeated (via links, or copies where links are not allowed) to a few
thousand per epoch. Each variant runs in its own process, one after the other in this one run; images/s is the
median of the timed epochs after one warm-up epoch, and peak memory is the process's maximum resident set size.

tf_data and decode_only cost about the same CPU time per image, closer than the machine's drift between two
processes, so one more process compares the two directly: it alternates one epoch of each for several rounds
(which goes first alternates too) and reports the median of the rounds' ratios, with their range.

    python benchmarks/input_pipelines.py                     # full run, writes RESULTS.md
    python benchmarks/input_pipelines.py --smoke             # tiny input, a quick check that every variant runs
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common  # benchmarks/common.py, beside this script (a script's folder is sys.path[0])

PAIR = ("decode_only", "tf_data")


def make_pipeline(kind: str, folder: str | Path, *, seed: int = 0):
    """Notebook 04's pipeline named ``kind`` (a key of ``helpers.pipelines.PIPELINES``) over ``folder``."""
    from helpers import pipelines

    if kind not in pipelines.PIPELINES:
        raise ValueError(f"kind must be one of {', '.join(pipelines.PIPELINES)}; got {kind!r}")
    if kind == "idg":
        return pipelines.idg_pipeline(folder, seed=seed)
    if kind == "keras_layers":
        return pipelines.keras_layers_pipeline(folder, seed=seed)
    return pipelines.tf_data_pipeline(folder, augment=kind == "tf_data", seed=seed)


def repeated_folder(source: str | Path, copies: int, target: str | Path) -> int:
    """Fill ``target/<class>/`` with ``copies`` links to each photo of ``source/<class>/``; returns the count.

    A symbolic link where the system allows one (Windows needs developer mode for them), else a copy.
    """
    if copies < 1:
        raise ValueError(f"copies must be at least 1, got {copies}")
    photos = sorted(Path(source).glob("*/*.jpg"))
    if not photos:
        raise ValueError(f"{source} holds no <class>/*.jpg photos")
    for photo in photos:
        folder, original = Path(target) / photo.parent.name, photo.resolve()
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(copies):
            link = folder / f"{i:03d}_{photo.name}"
            try:
                link.symlink_to(original)
            except OSError:
                shutil.copyfile(original, link)
    return len(photos) * copies


def cpu_ms_per_image(batches, epochs: int) -> tuple[float, list[float], int]:
    """CPU time of every thread of this process per image over ``epochs`` passes (robust to other load)."""
    from helpers import pipelines

    cpu_start = time.process_time()
    times, images = pipelines.epoch_seconds(batches, epochs, warmup=0)
    return (time.process_time() - cpu_start) / (images * epochs) * 1000, times, images


def run_pair(folder: Path, rounds: int) -> dict:
    """decode_only and tf_data in this one process: one epoch of each per round, the order alternating."""
    from helpers import pipelines

    batches = {kind: make_pipeline(kind, folder) for kind in PAIR}
    for kind in PAIR:
        pipelines.epoch_seconds(batches[kind], epochs=1, warmup=0)  # warm-up: tracing, page cache
    cpu = {kind: [] for kind in PAIR}
    for round_ in range(rounds):
        for kind in PAIR if round_ % 2 == 0 else PAIR[::-1]:
            cpu[kind].append(cpu_ms_per_image(batches[kind], 1)[0])
    ratios = [augmented / plain for plain, augmented in zip(cpu["decode_only"], cpu["tf_data"], strict=True)]
    return {"cpu_ms_per_image": cpu, "ratios": ratios, "median_ratio": common.median(ratios)}


def peak_mib() -> float | None:
    """This process's maximum resident set size in MiB; None on Windows, which has no ``resource`` module."""
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def memory_text(mib: float | None) -> str:
    return "not measured (Windows)" if mib is None else f"{mib:.0f} MiB"


def run_variant(variant: str, folder: Path, epochs: int) -> dict:
    from helpers import pipelines

    batches = make_pipeline(variant, folder)
    pipelines.epoch_seconds(batches, epochs=1, warmup=0)  # warm-up: tracing, page cache
    cpu_ms, times, images = cpu_ms_per_image(batches, epochs)
    return {"images_per_epoch": images, "epoch_seconds": times, "images_per_second": images / common.median(times),
            "cpu_ms_per_image": cpu_ms, "peak_mib": peak_mib()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=20, help="how often each training photo is repeated")
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs per variant (after one warm-up)")
    parser.add_argument("--rounds", type=int, default=9, help="alternating rounds of decode_only and tf_data")
    parser.add_argument("--smoke", action="store_true", help="tiny run: 1 copy, 1 epoch, 2 rounds, nothing saved")
    parser.add_argument("--variant", help=argparse.SUPPRESS)  # internal: one variant (or "pair"), JSON out
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.variant == "pair":
        print(json.dumps(run_pair(args.folder, args.rounds)))
        return 0
    if args.variant:
        print(json.dumps(run_variant(args.variant, args.folder, args.epochs)))
        return 0

    from helpers import data, pipelines
    copies, epochs, rounds = (1, 1, 2) if args.smoke else (args.copies, args.epochs, args.rounds)
    source = data.hotdog_dir("hotdog" if data.is_installed("hotdog") else "hotdog-mini")
    results = {}

    def in_own_process(variant: str, folder: str) -> dict:
        out = subprocess.run([sys.executable, __file__, "--variant", variant, "--folder", folder, "--epochs",
                              str(epochs), "--rounds", str(rounds)], capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    with tempfile.TemporaryDirectory() as tmp:
        count = repeated_folder(source / "train", copies, Path(tmp))
        print(f"{count} images per epoch ({source.name} x {copies}), {epochs} timed epochs per variant", flush=True)
        for key in pipelines.PIPELINES:
            results[key] = in_own_process(key, tmp)
            print(f"{key:<14}{results[key]['images_per_second']:8.0f} img/s   "
                  f"{results[key]['cpu_ms_per_image']:5.2f} CPU ms/img   "
                  f"peak {memory_text(results[key]['peak_mib'])}", flush=True)
        pair = in_own_process("pair", tmp)
    ratios = pair["ratios"]
    print(f"tf_data / decode_only CPU ms per image, {rounds} alternating rounds in one process: median "
          f"{pair['median_ratio']:.2f}x (range {min(ratios):.2f}-{max(ratios):.2f})", flush=True)
    if args.smoke:
        return 0
    speed = {k: r["images_per_second"] for k, r in results.items()}
    cpu = {k: r["cpu_ms_per_image"] for k, r in results.items()}
    rows = [[k, pipelines.PIPELINES[k], f"{speed[k]:.0f}", f"{speed[k] / speed['idg']:.1f}x", f"{cpu[k]:.2f}",
             memory_text(r["peak_mib"]), ", ".join(f"{t:.1f}" for t in r["epoch_seconds"])]
            for k, r in results.items()]
    findings = (f"Targets: tf_data at least 3x idg in images/s -> measured {speed['tf_data'] / speed['idg']:.1f}x; "
                f"tf_data's CPU time per image at most 1.0x decode_only's -> measured, {rounds} alternating rounds "
                f"in one process: median {pair['median_ratio']:.2f}x (range {min(ratios):.2f}-{max(ratios):.2f}; "
                f"in the table's separate processes {cpu['tf_data'] / cpu['decode_only']:.2f}x).")
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
                   "the centre to 25-100% of the area (idg, keras_layers); decode_only has none, decodes whole photos "
                   "and resizes the decoded uint8 image, as TensorFlow's tutorials do (tf_data resizes float32: its "
                   "colour ops work in float32). tf_data against decode_only: one more process builds both and "
                   f"alternates one epoch of each, {rounds} rounds, which one goes first alternating too; the ratio "
                   "of their CPU ms per image in each round, median and range."),
        "headers": ["pipeline", "what it is", "images/s", "vs idg", "CPU ms per image", "peak memory",
                    "epoch times (s)"],
        "rows": rows,
        "pair": {"rounds": rounds, **pair},
        "findings": findings,
    })
    print(findings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
