"""Load-checks for downloaded files whose source publishes no checksum.

Each validator opens the file the way the course will use it and raises
``ValueError`` when it is unusable.  They are cheap: a header or an index is
read, not the whole payload, except where the payload is small.
"""

from __future__ import annotations

import gzip
import json
import struct
import zipfile
from pathlib import Path


def idx_gz(expected_count: int):
    """An IDX file (the MNIST family's format), gzipped, holding ``expected_count`` items."""

    def check(path: Path) -> None:
        try:
            with gzip.open(path, "rb") as f:
                header = f.read(8)
                magic, count = struct.unpack(">II", header)
                data_type, ndim = (magic >> 8) & 0xFF, magic & 0xFF
                item_shape = struct.unpack(">" + "I" * (ndim - 1), f.read(4 * (ndim - 1)))
                item_size = 1
                for n in item_shape:
                    item_size *= n
                payload = f.read()
        except (OSError, EOFError, struct.error) as err:
            raise ValueError(f"{path.name} is not a readable gzipped IDX file ({err})") from err
        if data_type != 0x08 or count != expected_count or len(payload) != count * item_size:
            raise ValueError(
                f"{path.name}: expected {expected_count} uint8 items, found header "
                f"type={data_type:#x} count={count} and {len(payload)} payload bytes"
            )

    return check


def keras_weights_h5(path: Path) -> None:
    """A Keras ``.h5`` weight file (it names its layers at the top level)."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            names = f.attrs.get("layer_names")
            if names is None and "model_weights" in f:
                names = f["model_weights"].attrs.get("layer_names")
    except OSError as err:
        raise ValueError(f"{path.name} is not a readable HDF5 file ({err})") from err
    if names is None or len(names) == 0:
        raise ValueError(f"{path.name} is HDF5 but holds no Keras layer weights")


def imagenet_class_index(path: Path) -> None:
    """Keras' ``imagenet_class_index.json``: 1000 classes, 934 is the hot dog."""
    try:
        index = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path.name} is not valid JSON ({err})") from err
    if len(index) != 1000 or index.get("934", [None, None])[1] != "hotdog":
        raise ValueError(f"{path.name} does not look like the 1000-class ImageNet index")


def image(path: Path) -> None:
    """An image file that decodes completely, in a format TensorFlow reads (:func:`helpers.data.image_problem`)."""
    from helpers.data import image_problem  # helpers.data imports the registry, which imports this module

    problem = image_problem(path)
    if problem is not None:
        raise ValueError(f"{path.name} is not a readable image ({problem})")


def mnist_npz(path: Path) -> None:
    """Keras' ``mnist.npz`` with its four arrays."""
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as f:
            shapes = {k: f[k].shape for k in ("x_train", "y_train", "x_test", "y_test")}
    except (OSError, KeyError, ValueError) as err:
        raise ValueError(f"{path.name} is not Keras' MNIST npz ({err})") from err
    if shapes["x_train"] != (60000, 28, 28) or shapes["x_test"] != (10000, 28, 28):
        raise ValueError(f"{path.name}: unexpected shapes {shapes}")


def mnist_pickle(path: Path) -> None:
    """The classic ``mnist.pkl.gz``: (train 50k, valid 10k, test 10k)."""
    import pickle

    try:
        with gzip.open(path, "rb") as f:
            splits = pickle.load(f, encoding="latin1")
    except (OSError, EOFError, pickle.UnpicklingError) as err:
        raise ValueError(f"{path.name} is not a readable MNIST pickle ({err})") from err
    sizes = [len(y) for _, y in splits]
    if sizes != [50000, 10000, 10000]:
        raise ValueError(f"{path.name}: expected splits of 50000/10000/10000, found {sizes}")


def zip_archive(path: Path) -> None:
    """A zip file whose central directory and CRCs are intact."""
    try:
        with zipfile.ZipFile(path) as z:
            bad = z.testzip()
    except (OSError, zipfile.BadZipFile) as err:
        raise ValueError(f"{path.name} is not a readable zip archive ({err})") from err
    if bad is not None:
        raise ValueError(f"{path.name}: member {bad} is corrupt")
