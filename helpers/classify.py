"""Classify any image file with the hot-dog model that notebook 03 saves; its section 11 uses both ways in::

    >>> classify.classify_file("photo.jpg")          # doctest: +SKIP
    Prediction(label='hotdog', probability=0.97)

    $ python -m helpers.classify photo.jpg [more.jpg ...] [--model path/to/model.keras]
    photo.jpg: hotdog (P(hot dog) = 0.97)

The model (``models/hotdog_classifier.keras`` in the course data folder) maps raw RGB pixels (0-255) to P(hot dog);
photos are read and resized exactly as in training (:func:`helpers.hotdog.load_image`). Bad input (a missing, damaged
or huge image, a damaged model file) ends in a one-line message, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import zipfile
from pathlib import Path
from typing import NamedTuple

from helpers import data, environment
from helpers.paths import model_path

THRESHOLD = 0.5


class Prediction(NamedTuple):
    """What :func:`classify_file` returns."""

    label: str  # "hotdog" or "not-hotdog"
    probability: float  # P(hot dog), between 0 and 1


def load_classifier(path: str | Path | None = None):
    """The saved classifier, loaded in Keras' safe mode (no code from the file runs); else a one-line
    ``FileNotFoundError`` (not there yet) or ``ValueError`` (it does not load)."""
    path = Path(path) if path is not None else model_path()
    if not path.is_file():
        raise FileNotFoundError(f"no trained model at {_shown(path)}: run notebook 03_fine_tuning_hotdog.ipynb "
                                "first (it trains the classifier and saves it there)")
    if not zipfile.is_zipfile(path):  # Keras would call it "File not found"
        why = "a .keras file is a zip archive; this one is damaged or something else"
    else:
        import keras  # here, not at the top: it starts TensorFlow
        try:
            return keras.saving.load_model(path, safe_mode=True)
        except Exception as err:  # Keras raises ValueError, OSError, KeyError, ... for a damaged file
            why = f"{type(err).__name__}: {(str(err).strip().splitlines() or [''])[0][:120]}"
    raise ValueError(f"{_shown(path)} is not a Keras model that loads ({why}): "
                     "run notebook 03_fine_tuning_hotdog.ipynb again to save it") from None


def check_image(path: str | Path) -> Path:
    """``path`` as a Path if it is an image TensorFlow can decode, else ``ValueError`` saying why."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a folder: give the path of an image file in it")
    if not path.is_file():
        raise ValueError(f"{path} does not exist: check the file name and the folder you are in")
    if (problem := data.tensorflow_problem(path)) is not None:
        raise ValueError(f"{path} is not an image the classifier can read: {problem}")
    return path


def classify_file(path: str | Path, model=None, threshold: float = THRESHOLD) -> Prediction:
    """Label one image file ``"hotdog"`` when P(hot dog) >= ``threshold``; ``model`` defaults to the saved one
    (loaded on each call: pass a loaded model when classifying many files)."""
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
    from helpers import hotdog  # imports TensorFlow: not when this module is imported
    path = check_image(path)
    model = load_classifier() if model is None else model
    image = hotdog.load_image(str(path), model.input_shape[1])[None]  # a batch of one, at the model's input size
    probability = float(model(image, training=False)[0, 0])
    return Prediction("hotdog" if probability >= threshold else "not-hotdog", probability)


def _shown(path: Path) -> str:
    """``path`` as a learner should see it: relative to the current folder when it is inside it."""
    here = Path.cwd().resolve()
    return str(path.resolve().relative_to(here) if path.resolve().is_relative_to(here) else path)


@contextlib.contextmanager
def _native_stderr_silenced():
    """File descriptor 2 sent to nowhere meanwhile: TensorFlow's C++ lines (start-up, "Premature end of JPEG data")
    go there whatever TF_CPP_MIN_LOG_LEVEL says, and a learner should see only the command's one-line answers."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "w") as nowhere:
        os.dup2(nowhere.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.classify photo.jpg ...``; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m helpers.classify",
                                     description="Say whether photos show a hot dog (model from notebook 03).")
    parser.add_argument("images", nargs="+", help="image files (JPEG, PNG, GIF, BMP or WebP)")
    parser.add_argument("--model", help="the .keras model file (default: models/hotdog_classifier.keras in the "
                        "course data folder, where notebook 03 saves it)")
    args = parser.parse_args(argv)
    environment.safe_console()
    try:
        with _native_stderr_silenced():
            checked = [check_image(p) for p in args.images]  # every photo before the slow model load
            model = load_classifier(args.model)
            for given, path in zip(args.images, checked, strict=True):
                label, probability = classify_file(path, model)
                print(f"{given}: {label} (P(hot dog) = {probability:.2f})", flush=True)
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
