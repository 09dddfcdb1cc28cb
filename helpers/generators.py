"""ImageDataGenerator utilities for notebook 02 (and the fine-tuning notebooks that read image folders).

- :func:`augment_batch` / :func:`show_parameter`: what one ``ImageDataGenerator`` setting does to a few
  images, reproducibly (``flow(..., shuffle=False, seed=...)``).
- :data:`IDG_TO_KERAS3`, :func:`mapping_markdown`, :func:`keras_layers_for`: each ``ImageDataGenerator``
  parameter and the Keras 3 preprocessing layer that replaces it, as data and as a ready ``keras.Sequential``.
- :func:`flow_from_directory_checked`: ``flow_from_directory`` that skips, and reports, the files that would
  crash training (corrupt images, non-images), using :func:`helpers.data.scan_images`.

``ImageDataGenerator`` is deprecated: in Keras 3 it is reachable only as
``tf.keras.preprocessing.image.ImageDataGenerator``.  Rotation, shifts, shear and zoom need SciPy.

Example::

    >>> import numpy as np
    >>> from helpers import generators
    >>> datagen = generators.ImageDataGenerator(rotation_range=20)
    >>> images, labels = generators.augment_batch(datagen, np.zeros((9, 28, 28)), np.arange(9), seed=1)
    >>> images.shape
    (9, 28, 28, 1)
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import NamedTuple

import keras
import numpy as np
import tensorflow as tf

from helpers import data, plotting

ImageDataGenerator = tf.keras.preprocessing.image.ImageDataGenerator
DirectoryIterator = tf.keras.preprocessing.image.DirectoryIterator
Iterator = tf.keras.preprocessing.image.Iterator

# The parameters the course teaches, in the order ImageDataGenerator applies them.
PARAMETERS = ("rotation_range", "width_shift_range", "height_shift_range", "shear_range", "zoom_range",
              "horizontal_flip", "vertical_flip", "brightness_range", "rescale")


# ---------------------------------------------------------------- one parameter at a time
def _as_batch(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[..., np.newaxis]
    if x.ndim != 4:
        raise ValueError(f"expected images of shape (N, H, W) or (N, H, W, C), got {x.shape}")
    return x


def augment_batch(datagen, x: np.ndarray, y: np.ndarray, seed: int = 0, n: int = 9) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n`` images of ``x`` passed once through ``datagen.flow`` (same order, seeded).

    Returns ``(images, labels)``: float images of shape (n, H, W, C) and the matching labels.
    The same ``seed`` always gives the same transformations.
    """
    x = _as_batch(x)
    if len(x) != len(y):
        raise ValueError(f"x and y differ in length: {len(x)} != {len(y)}")
    if not 1 <= n <= len(x):
        raise ValueError(f"n must be between 1 and {len(x)}, got {n}")
    if not hasattr(datagen, "flow"):
        raise ValueError(f"expected an ImageDataGenerator, got {type(datagen).__name__}")
    flow = datagen.flow(x[:n], np.asarray(y)[:n], batch_size=n, shuffle=False, seed=seed)
    images, labels = next(flow)
    return images, labels


def show_parameter(name: str, value, x: np.ndarray, y: np.ndarray, seed: int = 0, ncols: int = 3,
                   show_max: bool = False, **datagen_args):
    """A 3x3 grid (by default) of ``x[:9]`` after ``ImageDataGenerator(**{name: value})``, titled by label.

    ``show_max`` adds each image's largest pixel value to its title (useful for ``rescale`` and
    ``brightness_range``, whose effect is on the values).  Extra keyword arguments go to the generator.
    Returns the matplotlib ``Figure``.
    """
    if name not in PARAMETERS:
        raise ValueError(f"unknown parameter {name!r}: expected one of {', '.join(PARAMETERS)}")
    datagen = ImageDataGenerator(**{name: value}, **datagen_args)
    images, labels = augment_batch(datagen, x, y, seed=seed, n=ncols * ncols)
    titles = [f"label {int(label)}" + (f" · max {image.max():.3g}" if show_max else "")
              for image, label in zip(images, labels, strict=True)]
    return plotting.show_images(images, titles, ncols=ncols, scale=1.6, suptitle=f"{name}={value!r}")


# ---------------------------------------------------------------- the Keras 3 replacements
class Mapping(NamedTuple):
    """One ImageDataGenerator parameter and its Keras 3 replacement."""

    parameter: str
    meaning: str
    layer: str
    conversion: str


IDG_TO_KERAS3: tuple[Mapping, ...] = (
    Mapping("rotation_range", "degrees, e.g. 10 → a random angle in ±10°", "RandomRotation",
            "factor = degrees / 360 (a fraction of a full turn)"),
    Mapping("width_shift_range", "fraction of the width, e.g. 0.1", "RandomTranslation",
            "width_factor = the same fraction"),
    Mapping("height_shift_range", "fraction of the height, e.g. 0.1", "RandomTranslation",
            "height_factor = the same fraction"),
    Mapping("shear_range", "shear angle in degrees", "RandomShear",
            "x_factor ≈ sin(angle); the layer also picks the direction at random"),
    Mapping("zoom_range", "z → zoom factor in [1 - z, 1 + z] (> 1 zooms out)", "RandomZoom",
            "height_factor = width_factor = (-z, z); positive zooms out, as in the generator"),
    Mapping("horizontal_flip", "True: mirror left-right half of the time", "RandomFlip", 'mode="horizontal"'),
    Mapping("vertical_flip", "True: mirror top-bottom half of the time", "RandomFlip",
            'mode="vertical" (both flips: "horizontal_and_vertical")'),
    Mapping("brightness_range", "[low, high]: multiply the pixels by a factor in that range", "RandomBrightness",
            "factor = (low - 1, high - 1), but it ADDS that fraction of value_range: black turns grey"),
    Mapping("rescale", "multiply every pixel, e.g. 1/255", "Rescaling",
            "scale = 1/255; not random, so the test images need it too"),
    Mapping("fill_mode", "how uncovered pixels are filled (default nearest)", "fill_mode= of each geometric layer",
            'the layers default to "reflect"; pass fill_mode="nearest" to match'),
)


def mapping_markdown() -> str:
    """:data:`IDG_TO_KERAS3` as a Markdown table (display it with ``IPython.display.Markdown``)."""
    lines = ["| ImageDataGenerator | meaning | Keras 3 layer | how to convert |", "|---|---|---|---|"]
    lines += [f"| `{m.parameter}` | {m.meaning} | `{m.layer}` | {m.conversion} |" for m in IDG_TO_KERAS3]
    return "\n".join(lines)


def _zoom_factor(zoom_range) -> tuple[float, float]:
    if isinstance(zoom_range, (int, float)):
        low, high = 1 - zoom_range, 1 + zoom_range
    elif len(zoom_range) == 2:
        low, high = zoom_range
    else:
        raise ValueError(f"zoom_range must be a float or [low, high], got {zoom_range!r}")
    return (low - 1, high - 1)


def _fraction(name: str, value) -> float:
    if not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a fraction in [0, 1) for a Keras layer, got {value!r}")
    return float(value)


def keras_layers_for(idg_args: dict, *, value_range: tuple[float, float] = (0.0, 255.0),
                     fill_mode: str = "nearest", interpolation: str = "bilinear",
                     seed: int | None = None) -> keras.Sequential:
    """The Keras 3 preprocessing layers that do what ``ImageDataGenerator(**idg_args)`` does.

    Layers come in the generator's order: rotation, translation, shear, zoom, flip, brightness, rescaling.
    ``value_range`` is the range of the pixels the layers receive (for ``RandomBrightness``); ``fill_mode``
    defaults to the generator's ``"nearest"``.  Call the result with ``training=True`` when you augment
    outside ``fit``.

    Unlike the generator, which combines rotation, shift, shear and zoom into one affine transformation
    (one resampling), every geometric layer resamples the image again: with ``interpolation="bilinear"``
    a chain of them blurs more than the generator does.  ``interpolation="nearest"`` avoids the blur.

    Raises ``ValueError`` for a parameter not in :data:`PARAMETERS`, for shifts given in pixels, or when
    nothing would be translated.
    """
    unknown = set(idg_args) - set(PARAMETERS)
    if unknown:
        raise ValueError(f"cannot translate {sorted(unknown)}: expected some of {', '.join(PARAMETERS)}")
    seeds = iter(range(seed, seed + 10)) if seed is not None else iter([None] * 10)
    if interpolation not in ("bilinear", "nearest"):
        raise ValueError(f"interpolation must be 'bilinear' or 'nearest', got {interpolation!r}")
    geometry = {"fill_mode": fill_mode, "interpolation": interpolation}
    layers: list[keras.layers.Layer] = []
    if idg_args.get("rotation_range"):
        layers.append(keras.layers.RandomRotation(idg_args["rotation_range"] / 360, seed=next(seeds), **geometry))
    width = _fraction("width_shift_range", idg_args.get("width_shift_range") or 0.0)
    height = _fraction("height_shift_range", idg_args.get("height_shift_range") or 0.0)
    if width or height:
        layers.append(keras.layers.RandomTranslation(height, width, seed=next(seeds), **geometry))
    if idg_args.get("shear_range"):
        shear = math.sin(math.radians(idg_args["shear_range"]))
        layers.append(keras.layers.RandomShear(x_factor=shear, seed=next(seeds), **geometry))
    if idg_args.get("zoom_range"):
        zoom = _zoom_factor(idg_args["zoom_range"])
        layers.append(keras.layers.RandomZoom(zoom, zoom, seed=next(seeds), **geometry))
    flips = [mode for mode in ("horizontal", "vertical") if idg_args.get(f"{mode}_flip")]
    if flips:
        layers.append(keras.layers.RandomFlip("_and_".join(flips), seed=next(seeds)))
    if idg_args.get("brightness_range") is not None:
        low, high = idg_args["brightness_range"]
        layers.append(keras.layers.RandomBrightness((low - 1, high - 1), value_range=value_range, seed=next(seeds)))
    if idg_args.get("rescale"):
        layers.append(keras.layers.Rescaling(idg_args["rescale"]))
    if not layers:
        raise ValueError(f"nothing to translate in {idg_args!r}")
    return keras.Sequential(layers, name="augmentation")


def side_by_side(idg_args: dict, x: np.ndarray, y: np.ndarray, n: int = 6, seed: int = 0):
    """Three rows on the same ``n`` images: the originals, ``ImageDataGenerator(**idg_args)``, and
    :func:`keras_layers_for` ``(idg_args)`` (pixels 0..255).  Returns the ``Figure``.
    """
    x = _as_batch(x)[:n].astype(np.float32)
    generated, _ = augment_batch(ImageDataGenerator(**idg_args), x, np.asarray(y)[:n], seed=seed, n=n)
    layered = keras.ops.convert_to_numpy(keras_layers_for(idg_args, seed=seed)(x, training=True))
    rows = [("original", x), ("ImageDataGenerator", generated), ("Keras layers", layered)]
    images = [image for _, batch in rows for image in batch]
    titles = [f"{row}\nlabel {int(label)}" for row, _ in rows for label in np.asarray(y)[:n]]
    settings = ", ".join(f"{k}={v!r}" for k, v in idg_args.items())
    return plotting.show_images(images, titles, ncols=n, scale=1.5, suptitle=settings)


# ---------------------------------------------------------------- image folders
# What flow_from_directory reads (by file extension); everything else it ignores silently.
FLOW_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".tif", ".tiff"}


class CheckedFlow(NamedTuple):
    """What :func:`flow_from_directory_checked` returns."""

    iterator: DirectoryIterator
    skipped: list[tuple[Path, str]]  # (path relative to the directory, reason)


class _FileListIterator(DirectoryIterator):
    """A ``DirectoryIterator`` over a given list of files instead of every file in the class folders."""

    def __init__(self, directory, image_data_generator, filenames, classes, class_indices, *, target_size,
                 color_mode, class_mode, batch_size, shuffle, seed, interpolation, subset):
        self.set_processing_attrs(image_data_generator, target_size, color_mode, keras.config.image_data_format(),
                                  None, "", "png", subset, interpolation, False)
        if class_mode not in self.allowed_class_modes:
            raise ValueError(f"class_mode must be one of {sorted(map(str, self.allowed_class_modes))}, "
                             f"got {class_mode!r}")
        self.directory, self.class_mode, self.dtype = str(directory), class_mode, keras.config.floatx()
        self.class_indices, self.num_classes = dict(class_indices), len(class_indices)
        self.filenames, self.classes = list(filenames), np.asarray(classes, dtype="int32")
        self.samples = len(self.filenames)
        self._filepaths = [os.path.join(self.directory, name) for name in self.filenames]
        Iterator.__init__(self, self.samples, batch_size, shuffle, seed)


def flow_from_directory_checked(datagen, directory: str | Path, *, target_size: tuple[int, int] = (256, 256),
                                color_mode: str = "rgb", classes: list[str] | None = None,
                                class_mode: str | None = "categorical", batch_size: int = 32, shuffle: bool = True,
                                seed: int | None = None, interpolation: str = "nearest", subset: str | None = None,
                                verbose: bool = True) -> CheckedFlow:
    """``datagen.flow_from_directory(directory, ...)`` minus the files that would crash training.

    Every file in the class folders is opened first (:func:`helpers.data.scan_images`); corrupt or
    truncated images and non-image files are left out and returned as ``skipped`` (paths relative to
    ``directory``, with the reason).  The iterator behaves like ``flow_from_directory``'s: same class
    order (sorted folder names), ``class_indices``, ``filenames``, ``classes``, ``subset`` handling.
    With ``verbose``, prints what was found and each skipped file.

    Example::

        flow, skipped = flow_from_directory_checked(ImageDataGenerator(rescale=1/255), "hotdog/train",
                                                    target_size=(96, 96), class_mode="binary")
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ValueError(f"{directory} is not a folder")
    if len(target_size) != 2 or min(target_size) < 1:
        raise ValueError(f"target_size must be (height, width), got {target_size!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if classes is None:
        classes = sorted(p.name for p in directory.iterdir() if p.is_dir())
    if not classes:
        raise ValueError(f"{directory} has no class folders: expected one sub-folder per class")
    split = datagen._validation_split if subset else 0.0
    filenames, labels, skipped = [], [], []
    for index, name in enumerate(classes):
        good, bad = data.scan_images(directory / name)
        # Reasons may quote the absolute path: show it relative to the folder, like the file itself.
        skipped += [(path.relative_to(directory), reason.replace(str(path), path.relative_to(directory).as_posix()))
                    for path, reason in bad]
        usable = []
        for path in good:
            if path.suffix.lower() in FLOW_SUFFIXES:
                usable.append(path.relative_to(directory).as_posix())
            else:
                skipped.append((path.relative_to(directory), f"{path.suffix} files are not read by the generator"))
        cut = int(split * len(usable))
        usable = usable[:cut] if subset == "validation" else usable[cut:]
        filenames += usable
        labels += [index] * len(usable)
    iterator = _FileListIterator(directory, datagen, filenames, labels, {c: i for i, c in enumerate(classes)},
                                 target_size=tuple(target_size), color_mode=color_mode, class_mode=class_mode,
                                 batch_size=batch_size, shuffle=shuffle, seed=seed, interpolation=interpolation,
                                 subset=subset)
    if verbose:
        print(f"Found {iterator.samples} readable images belonging to {len(classes)} classes; "
              f"skipped {len(skipped)} file(s).")
        for path, reason in skipped:
            print(f"  skipped {path.as_posix()}: {reason}")
    return CheckedFlow(iterator, skipped)
