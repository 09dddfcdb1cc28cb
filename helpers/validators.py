"""What :mod:`helpers.assets` applies to a download besides its pinned checksum (``data_download.py`` runs them).

* Load-checks, only for online files whose source publishes no checksum (Keras'
  MobileNet and Fashion-MNIST files): each opens the file the way the course
  will and raises ``ValueError`` when it is unusable.  They run once, when the
  file is installed; whether it is still installed is decided by its receipt.
* The one conversion: the classic MNIST pickle becomes Keras' ``mnist.npz``
  at install time, so that no loader ever unpickles data.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import math
import pickle
import struct
import zipfile
from pathlib import Path


def idx_gz(path: Path, count: int) -> None:
    """An IDX file (the MNIST family's format), gzipped, holding ``count`` uint8 items."""
    try:
        with gzip.open(path, "rb") as f:
            magic, found = struct.unpack(">II", f.read(8))
            dims = struct.unpack(">" + "I" * ((magic & 0xFF) - 1), f.read(4 * ((magic & 0xFF) - 1)))
            payload = len(f.read())
    except (OSError, EOFError, struct.error) as err:
        raise ValueError(f"{Path(path).name} is not a readable gzipped IDX file ({err})") from err
    if (magic >> 8) & 0xFF != 0x08 or found != count or payload != count * math.prod(dims):
        raise ValueError(f"{Path(path).name}: expected {count} uint8 items, found {found} and {payload} payload bytes")


def keras_weights(path: Path, application: str, **kwargs) -> None:
    """A Keras ``.h5`` weight file that loads into ``keras.applications.<application>(weights=None, **kwargs)``.

    A legacy ``.h5`` weight file holds arrays only (no code); loading it checks every layer's name and shape.
    """
    import keras

    try:
        getattr(keras.applications, application)(weights=None, **kwargs).load_weights(path)
    except Exception as err:  # h5py and Keras raise OSError, ValueError, KeyError, ...
        reason = (str(err).strip().splitlines() or [""])[0][:120]
        raise ValueError(f"{Path(path).name} does not load into {application} ({type(err).__name__}: {reason})") \
            from err


class _ArraysOnly(pickle.Unpickler):
    """Unpickles NumPy arrays and nothing else (no other class, no function call)."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}  # what NumPy arrays need

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a data file")
        return super().find_class(module, name)


def mnist_pickle_to_npz(download: Path, installed: Path, pinned: str) -> None:
    """Write the classic ``mnist.pkl.gz`` (train 50k, valid 10k, test 10k; float32 = uint8/256) as Keras' npz.

    The bytes converted are checked against ``pinned`` again in memory, and the
    unpickler accepts nothing but arrays.  The npz is byte-for-byte reproducible
    (fixed zip timestamps).
    """
    import numpy as np

    raw = Path(download).read_bytes()
    if "sha256:" + hashlib.sha256(raw).hexdigest() != pinned:
        raise ValueError("the MNIST pickle changed after it was verified")
    try:
        (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = _ArraysOnly(gzip.GzipFile(fileobj=io.BytesIO(raw)),
                                                                encoding="latin1").load()
    except (OSError, EOFError, ValueError, pickle.UnpicklingError) as err:
        raise ValueError(f"not the classic MNIST pickle ({err})") from err

    def images(x):  # the pickle stores uint8/256 exactly, so *256 gives the original bytes back
        return np.rint(x * 256).astype(np.uint8).reshape(-1, 28, 28)

    arrays = {"x_train": np.concatenate([images(x_tr), images(x_va)]),
              "y_train": np.concatenate([y_tr, y_va]).astype(np.uint8),
              "x_test": images(x_te), "y_test": y_te.astype(np.uint8)}
    with zipfile.ZipFile(installed, "w", zipfile.ZIP_STORED) as z:
        for name, array in arrays.items():
            with z.open(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), "w") as f:
                np.lib.format.write_array(f, np.ascontiguousarray(array), allow_pickle=False)
