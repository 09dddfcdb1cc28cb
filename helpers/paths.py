"""Where the course keeps its files: used by ``data_download.py``, :mod:`helpers.assets` and :mod:`helpers.classify`.

* The course data folder: ``$COURSE_DATA_DIR``, else the per-user cache folder that pooch names
  (``~/.cache/augment-course`` on Linux, ``~/Library/Caches/augment-course`` on macOS,
  ``%LOCALAPPDATA%\\augment-course\\Cache`` on Windows).  One folder per user, whichever copy of the package runs:
  ``python data_download.py`` in the course folder and a notebook importing a pip-installed package agree.
* The Keras cache, ``$KERAS_HOME`` (default ``~/.keras``), resolved as Keras resolves it, so that stock calls such
  as ``keras.applications.MobileNetV2(weights="imagenet")`` find the files put there.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent  # the course folder, when the package runs from one
# The stored results of benchmarks/ that notebooks 02-04 show: package data, so a lesson runs from a wheel too.
MEASURED = Path(__file__).resolve().parent / "measured"


def data_dir() -> Path:
    """The course data folder (see the module docstring)."""
    configured = os.environ.get("COURSE_DATA_DIR")
    if configured:  # absolute, links kept: a loop of links is then reported where the folder is used
        return Path(os.path.abspath(Path(configured).expanduser()))
    import pooch

    return Path(pooch.os_cache("augment-course"))


def keras_home() -> Path:
    """The Keras cache folder, resolved the way Keras resolves it (``$KERAS_HOME``, else ``~/.keras``)."""
    configured = os.environ.get("KERAS_HOME")
    return Path(configured).expanduser() if configured else Path.home() / ".keras"


def root(name: str) -> Path:
    """A root of the asset registry by name: ``"data"`` or ``"keras"``."""
    return {"data": data_dir, "keras": keras_home}[name]()


def model_path() -> Path:
    """Where notebook 03 (section 11) saves the hot-dog classifier and :mod:`helpers.classify` reads it."""
    return data_dir() / "models" / "hotdog_classifier.keras"
