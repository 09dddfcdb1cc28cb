"""Loading the course's data: MNIST, the photos, the hot-dog image folders.

Every loader checks that its asset is installed and intact first and, if not,
raises :class:`MissingAssetError` naming the exact command that installs it.
Nothing here downloads or unpickles anything.  Notebooks 00 to 04 load their data
through this module; each function's docstring says where.

Example::

    >>> from helpers import data
    >>> (x_train, y_train), (x_test, y_test) = data.load_mnist()   # doctest: +SKIP
    >>> x_train.shape, x_train.dtype                                 # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'))
"""

from __future__ import annotations

import re
import struct
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

from helpers import assets

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff"}
DECODERS = ("tensorflow", "pillow")  # tf.io.decode_image (tf.data, helpers.classify); Pillow (ImageDataGenerator)
# The signatures tf.io.decode_image looks for (JPEG, PNG, GIF, BMP, WebP): anything else it refuses.
_TF_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"BM", b"RIFF")


class MissingAssetError(FileNotFoundError):
    """An asset the code needs is not installed (or is damaged); the message says how to get it.

    Raised by :func:`require`, and so by every loader here (notebooks 00 to 04 call them).
    """

    def __init__(self, name: str, state: assets.State | None = None):
        asset, state = assets.get(name), state or assets.State("missing")
        hint = "" if asset.optional else " (offline: add --mirror /path/to/course/mirror)"
        what = {"corrupt": "is damaged", "unchecked": "is not checked yet"}.get(state.status, "is not installed")
        super().__init__(f"{asset.title!r} {what}" + f" ({state.detail})" * bool(state.detail)
                         + f". Install it with:\n    python data_download.py {name}{hint}")
        self.asset = name


def require(name: str) -> None:
    """Raise :class:`MissingAssetError` unless every file of asset ``name`` is present and matches its checksum.

    Used in notebook 02, section 4 (Which augmentations keep the label true?), for Fashion-MNIST, and by
    every loader here.
    """
    current = assets.state(assets.get(name))
    if current.status != "installed":
        raise MissingAssetError(name, current)


def is_installed(name: str) -> bool:
    """True if :func:`require` would pass; ``benchmarks/input_pipelines.py`` uses it to prefer the full hot-dog set."""
    return assets.state(assets.get(name)).status == "installed"


# ---------------------------------------------------------------- MNIST
def load_mnist() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """MNIST exactly as ``keras.datasets.mnist.load_data()`` returns it, from the course's ``mnist.npz``.

    The installer converts the classic ``mnist.pkl.gz`` (whose train and
    validation splits together are Keras' training set) into this file, so no
    pickle is ever loaded here.

    Returns ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape
    (60000, 28, 28) and (10000, 28, 28), uint8 labels.  Used in notebook 02,
    section 2 (MNIST, loaded correctly), and by ``benchmarks/mnist_augmentation_seeds.py``.
    """
    require("mnist")
    with np.load(assets.target_path(assets.get("mnist").files[0]), allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


# ---------------------------------------------------------------- photos
def photo_path(name: str) -> Path:
    """Path of a course photo: ``"chelsea"`` (the cat) or ``"coffee"``.

    Used in notebook 03, section 11 (Save the model, then classify any photo), and by :func:`load_photo`.
    """
    if name not in ("chelsea", "coffee"):
        raise ValueError(f"unknown photo {name!r}: expected 'chelsea' or 'coffee'")
    require(name)
    return assets.target_path(assets.get(name).files[0])


def load_photo(name: str) -> np.ndarray:
    """A course photo as an RGB uint8 array of shape (height, width, 3).

    Used in notebook 00 (section "A pretrained model runs offline"), notebook 01 (Setup) and notebook 03
    (sections 3 and 11).
    """
    from PIL import Image

    with Image.open(photo_path(name)) as im:
        return np.asarray(im.convert("RGB"))


# ---------------------------------------------------------------- image folders
def hotdog_dir(name: str = "hotdog-mini") -> Path:
    """Root of a hot-dog set (``train/`` and ``test/``, each ``hotdog/`` + ``not-hotdog/``).

    ``"hotdog-mini"`` (200 photos, the default, in the mirror) or ``"hotdog"``
    (d2l's 2,800 photos, online only).  Used in notebook 00 (section "The data is
    where the course expects it"), notebook 02 section 7, the Setup of notebooks 03
    and 04, and ``benchmarks/input_pipelines.py``.
    """
    if name not in ("hotdog-mini", "hotdog"):
        raise ValueError(f"unknown hot-dog set {name!r}: expected 'hotdog-mini' or 'hotdog'")
    require(name)
    return assets.folder_path(assets.get(name))


def _header_pixels(path: str | Path) -> int | None:
    """Width x height read from a PNG, GIF or BMP header, or a JPEG's frame header; None if it has neither."""
    with open(path, "rb") as f:
        head = f.read(26)
    if head.startswith(b"\x89PNG") and len(head) >= 24:
        return int(np.prod(struct.unpack(">II", head[16:24]), dtype=np.int64))
    if head.startswith(b"GIF8") and len(head) >= 10:
        return int(np.prod(struct.unpack("<HH", head[6:10]), dtype=np.int64))
    if head.startswith(b"BM") and len(head) >= 26:
        return abs(int(np.prod(struct.unpack("<ii", head[18:26]), dtype=np.int64)))
    if head.startswith(b"\xff\xd8\xff"):
        import tensorflow as tf

        try:
            return int(np.prod(tf.io.extract_jpeg_shape(tf.io.read_file(str(path)))[:2].numpy(), dtype=np.int64))
        except tf.errors.InvalidArgumentError:
            return None
    return None


def image_problem(path):
    """None if Pillow, which ImageDataGenerator reads images with, can decode the file `path`; else why not."""
    from PIL import Image

    if not Path(path).is_file():
        return "unreadable (it is a folder, or it does not exist)"
    try:
        with warnings.catch_warnings():  # 1-2x Pillow's pixel limit only warns: such a photo is fine to read
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:  # reads the header; refuses one that claims too many pixels
                image.load()  # decodes every pixel, as the generator will
    except Image.DecompressionBombError as error:
        return f"too large to decode safely ({error})"
    except (OSError, SyntaxError, ValueError) as error:  # truncated, not an image, a broken header, ...
        return f"unreadable ({type(error).__name__}: {error})"
    return None


def tensorflow_problem(path: str | Path) -> str | None:
    """:func:`image_problem` for ``tf.io.decode_image``, the reader of notebooks 03 and 04 and :mod:`helpers.classify`;
    a header claiming over twice Pillow's pixel limit (179 million pixels) is refused before anything is decoded."""
    from PIL import Image

    if not Path(path).is_file():
        return "unreadable (it is a folder, or it does not exist)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            Image.open(path).close()  # the header only
    except Image.DecompressionBombError as err:
        return f"too large to decode safely ({err})"
    except (OSError, SyntaxError, ValueError):  # Pillow cannot read the header; TensorFlow might: check its size
        if (pixels := _header_pixels(path)) is not None and pixels > 2 * Image.MAX_IMAGE_PIXELS:
            return f"too large to decode safely ({pixels} pixels, over {2 * Image.MAX_IMAGE_PIXELS})"
    with open(path, "rb") as f:
        if not f.read(4).startswith(_TF_SIGNATURES):  # decided without importing TensorFlow
            return "TensorFlow cannot decode it (not a JPEG, PNG, GIF, BMP or WebP file)"
    import tensorflow as tf

    try:
        tf.io.decode_image(tf.io.read_file(str(path)), channels=3, expand_animations=False)
    except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError) as err:  # without {{...}}, [Op:...], name:
        reason = re.sub(r"\{\{.*?\}\}|\[Op:\w+\]|name:\s*$", "", err.message.strip()).strip()
        return f"TensorFlow cannot decode it ({reason[:100]})"
    return None


def scan_images(folder: str | Path, decoder: str = "pillow") -> tuple[list[Path], list[tuple[Path, str]]]:
    """Split the files below ``folder`` into images ``decoder`` reads and problems (see :func:`tensorflow_problem`).

    Returns ``(good, bad)``: ``good`` is a sorted list of image paths,
    ``bad`` a list of ``(path, reason)`` for files that would crash a training
    loop (corrupt or truncated images, non-images, formats the decoder lacks).
    Hidden files (such as the install receipt) are ignored.  Used by
    :func:`labelled_images` (notebook 03, section 2).
    """
    if decoder not in DECODERS:
        raise ValueError(f"decoder must be one of {DECODERS}, got {decoder!r}")
    problem_of = image_problem if decoder == "pillow" else tensorflow_problem
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder")
    good, bad = [], []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        problem = problem_of(path)
        if problem is None:
            good.append(path)
        else:
            bad.append((path, problem))
    return good, bad


def count_images(folder: str | Path) -> dict[str, dict[str, int]]:
    """Image counts per split and class: ``{"train": {"hotdog": 80, ...}, ...}``.

    Used in notebook 00 (section "The data is where the course expects it") and notebook 03 (Setup).
    """
    folder = Path(folder)
    counts: dict[str, Counter] = {}
    for path in sorted(folder.glob("*/*/*")):
        if path.suffix.lower() in IMAGE_SUFFIXES:
            split, label = path.parent.parent.name, path.parent.name
            counts.setdefault(split, Counter())[label] += 1
    return {split: dict(sorted(c.items())) for split, c in sorted(counts.items())}


# ---------------------------------------------------------------- hot-dog datasets (notebook 03)
HOTDOG_CLASSES = ("not-hotdog", "hotdog")  # label 0, label 1: a model's output is P(hot dog)


def labelled_images(folder, class_names=HOTDOG_CLASSES):
    """Notebook 03, section 2: (paths, labels, bad) for folder/<class>/; a label is the class's index."""
    folder = Path(folder)
    missing = [name for name in class_names if not (folder / name).is_dir()]
    if missing:
        raise ValueError(f"{folder} has no class folder(s) {missing}: expected {list(class_names)}")
    extra = sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name not in class_names
                   and not p.name.startswith("."))
    if extra:
        warnings.warn(f"{folder}: folder(s) {extra} are not among the classes {list(class_names)} and are left "
                      "out; pass class_names to use them", stacklevel=2)
    paths, labels, bad = [], [], []
    for label, name in enumerate(class_names):
        good, problems = scan_images(folder / name, decoder="tensorflow")  # decodes every file once
        paths, labels, bad = paths + good, labels + [label] * len(good), bad + problems
    return paths, np.asarray(labels, dtype="int32"), bad
