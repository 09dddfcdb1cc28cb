"""Where the course keeps its files.

Two roots, both outside git:

* the course data folder: ``data/`` next to this repository, or wherever the
  environment variable ``COURSE_DATA_DIR`` points (e.g. a bigger disk);
* the Keras cache, ``$KERAS_HOME`` (default ``~/.keras``), exactly as Keras
  itself resolves it, so that stock calls such as
  ``keras.applications.MobileNetV2(weights="imagenet")`` find the files we put
  there without downloading anything.

Example::

    >>> from helpers import paths
    >>> paths.data_dir().name   # doctest: +SKIP
    'data'
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """The course data folder (``$COURSE_DATA_DIR`` or ``<repo>/data``).

    Used by ``data_download.py`` (it prints and checks the folder) and by :mod:`helpers.assets`.
    """
    configured = os.environ.get("COURSE_DATA_DIR")
    return Path(configured).expanduser().resolve() if configured else PROJECT_ROOT / "data"


def keras_home() -> Path:
    """The Keras cache folder, resolved the way Keras resolves it.

    Keras uses ``$KERAS_HOME`` when set, else ``~/.keras``.  (Keras falls back to
    ``/tmp/.keras`` when that folder is not writable; the course instead creates
    the folder, so the files land where Keras looks first.)  Used by ``data_download.py``
    and :func:`root`.
    """
    configured = os.environ.get("KERAS_HOME")
    return Path(configured).expanduser() if configured else Path.home() / ".keras"


def root(name: str) -> Path:
    """Resolve a root name used by the asset registry: ``"data"`` or ``"keras"``.

    Used by :mod:`helpers.assets` and :mod:`helpers.fetch`.
    """
    if name == "data":
        return data_dir()
    if name == "keras":
        return keras_home()
    raise ValueError(f"unknown root {name!r}: expected 'data' or 'keras'")


def model_path() -> Path:
    """Where notebook 03 saves the hot-dog classifier and :mod:`helpers.classify` reads it.

    Used in notebook 03, section 11 (Save the model, then classify any photo), and by :mod:`helpers.classify`.
    """
    return data_dir() / "models" / "hotdog_classifier.keras"
