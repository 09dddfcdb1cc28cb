"""Classify any image file with the hot-dog model that notebook 03 saves.

The model file (``data/models/hotdog_classifier.keras``) is self-contained: it
takes raw RGB pixels (0-255) at its input size and returns the probability
that the photo shows a hot dog.  This module only reads the file, resizes it
exactly as the training pipeline did (:func:`helpers.hotdog.load_image`) and
applies the model.  Bad input (a missing, damaged or huge image, a damaged
model file) ends in a one-line message, never a traceback.  Notebook 03,
section 11 (Save the model, then classify any photo) calls :func:`classify_file`
and runs the command line.

Command line::

    python -m helpers.classify photo.jpg [more.jpg ...] [--model path/to/model.keras]

prints one line per photo, e.g. ``photo.jpg: hotdog (P(hot dog) = 0.97)``.

Example::

    >>> from helpers import classify
    >>> classify.classify_file("photo.jpg")          # doctest: +SKIP
    Prediction(label='hotdog', probability=0.97)
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
    """What :func:`classify_file` returns (notebook 03, section 11 prints it)."""

    label: str  # "hotdog" or "not-hotdog"
    probability: float  # P(hot dog), between 0 and 1


def load_classifier(path: str | Path | None = None):
    """Load the saved classifier in Keras' safe mode (no code from the file runs).

    A clear ``FileNotFoundError`` if it is not there yet, ``ValueError`` if it does not load.
    Used by :func:`classify_file` and the command line (notebook 03, section 11).
    """
    path = Path(path) if path is not None else model_path()
    if not path.is_file():
        raise FileNotFoundError(f"no trained model at {_shown(path)}: run notebook 03_fine_tuning_hotdog.ipynb "
                                "first (it trains the classifier and saves it there)")
    again = "run notebook 03_fine_tuning_hotdog.ipynb again to save it"
    if not zipfile.is_zipfile(path):  # Keras would call it "File not found"
        raise ValueError(f"{_shown(path)} is not a Keras model that loads (a .keras file is a zip archive; "
                         f"this one is damaged or something else): {again}")
    import keras

    try:
        return keras.saving.load_model(path, safe_mode=True)
    except Exception as err:  # Keras raises ValueError, OSError, KeyError, ... for a damaged file
        reason = (str(err).strip().splitlines() or [""])[0][:120]
        raise ValueError(f"{_shown(path)} is not a Keras model that loads ({type(err).__name__}: {reason}): "
                         f"{again}") from None


def check_image(path: str | Path) -> Path:
    """``path`` as a Path if it is an image TensorFlow can decode, else ``ValueError`` saying why.

    Used by :func:`classify_file` and the command line (notebook 03, section 11).
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a folder: give the path of an image file in it")
    if not path.is_file():
        raise ValueError(f"{path} does not exist: check the file name and the folder you are in")
    problem = data.image_problem(path, decoder="tensorflow")
    if problem is not None:
        raise ValueError(f"{path} is not an image the classifier can read: {problem}")
    return path


def classify_file(path: str | Path, model=None, threshold: float = THRESHOLD) -> Prediction:
    """Label one image file: ``"hotdog"`` when P(hot dog) >= ``threshold``.

    ``model`` defaults to the saved classifier (loaded on each call: pass a
    loaded model when classifying many files).  Used in notebook 03, section 11
    (Save the model, then classify any photo), and by the command line.
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
    from helpers import hotdog  # imports TensorFlow: only once a photo is known to be readable

    path = check_image(path)
    model = load_classifier() if model is None else model
    size = model.input_shape[1]
    image = hotdog.load_image(str(path), size)[None]
    probability = float(model(image, training=False)[0, 0])
    return Prediction("hotdog" if probability >= threshold else "not-hotdog", probability)


def _shown(path: Path) -> str:
    """A path as a user should see it: relative to the current folder when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@contextlib.contextmanager
def _native_stderr_silenced():
    """TensorFlow's C++ lines (start-up, "Premature end of JPEG data") go to file descriptor 2 whatever
    TF_CPP_MIN_LOG_LEVEL says; the command line sends that descriptor to nowhere while it works, so a learner
    sees only its own one-line answers."""
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
    """``python -m helpers.classify photo.jpg ...``, which notebook 03, section 11 runs; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m helpers.classify",
                                     description="Say whether photos show a hot dog (model from notebook 03).")
    parser.add_argument("images", nargs="+", help="image files (JPEG, PNG, GIF, BMP or WebP)")
    parser.add_argument("--model", help="the .keras model file (default: data/models/hotdog_classifier.keras)")
    args = parser.parse_args(argv)
    environment.safe_console()
    try:
        with _native_stderr_silenced():
            paths_ = [check_image(p) for p in args.images]
            model = load_classifier(args.model)
            for given, path in zip(args.images, paths_, strict=True):
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
