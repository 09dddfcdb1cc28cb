"""Where the course keeps its files: used by ``data_download.py``, :mod:`helpers.assets` and :mod:`helpers.classify`.

* The course data folder: ``$COURSE_DATA_DIR``; else ``data/`` in the source checkout the package runs from
  (``python course.py``, ``pip install -e .``); else, for a course installed from a wheel, the per-user cache
  folder pooch names (``~/.cache/augment-course``, ``~/Library/Caches/augment-course``,
  ``%LOCALAPPDATA%\\augment-course\\Cache``).
* The Keras cache, ``$KERAS_HOME`` (default ``~/.keras``), resolved as Keras resolves it, so that stock calls such
  as ``keras.applications.MobileNetV2(weights="imagenet")`` find the files put there.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent  # the checkout, when the package runs from one


def in_checkout() -> bool:
    """True when ``helpers`` is imported from the course's source checkout rather than an installed wheel."""
    return (PROJECT_ROOT / "pyproject.toml").is_file() and (PROJECT_ROOT / "notebooks").is_dir()


def data_dir() -> Path:
    """The course data folder (see the module docstring)."""
    configured = os.environ.get("COURSE_DATA_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    if in_checkout():
        return PROJECT_ROOT / "data"
    import pooch

    return Path(pooch.os_cache("augment-course"))


def keras_home() -> Path:
    """The Keras cache folder, resolved the way Keras resolves it (``$KERAS_HOME``, else ``~/.keras``)."""
    configured = os.environ.get("KERAS_HOME")
    return Path(configured).expanduser() if configured else Path.home() / ".keras"


def root(name: str) -> Path:
    """A root of the asset registry by name: ``"data"`` or ``"keras"``."""
    if name == "data":
        return data_dir()
    if name == "keras":
        return keras_home()
    raise ValueError(f"unknown root {name!r}: expected 'data' or 'keras'")


def model_path() -> Path:
    """Where notebook 03 (section 11) saves the hot-dog classifier and :mod:`helpers.classify` reads it."""
    return data_dir() / "models" / "hotdog_classifier.keras"
