"""What the registry applies to a downloaded file besides its pinned checksum.

* Load-checks, for files whose public source publishes no checksum (Keras'
  MobileNet and Fashion-MNIST files, GitHub's archive of the hot-dog photos):
  each opens the file the way the course will use it and raises ``ValueError``
  when it is unusable.  A file with a pinned checksum never needs one.
* The one conversion: the classic MNIST pickle becomes an ``.npz`` at install
  time, so that no loader ever unpickles data.

Used only by the registry in :mod:`helpers.assets`, which attaches each check to
its files; :mod:`helpers.fetch` applies them when ``data_download.py`` installs.
"""

from __future__ import annotations

import gzip
import io
import pickle
import struct
import zipfile
from pathlib import Path


def idx_gz(expected_count: int):
    """An IDX file (the MNIST family's format), gzipped, holding ``expected_count`` items.

    Used by :mod:`helpers.assets` for the Fashion-MNIST files.
    """

    def check(path: Path) -> None:
        try:
            with gzip.open(path, "rb") as f:
                magic, count = struct.unpack(">II", f.read(8))
                data_type, ndim = (magic >> 8) & 0xFF, magic & 0xFF
                item_size = 1
                for n in struct.unpack(">" + "I" * (ndim - 1), f.read(4 * (ndim - 1))):
                    item_size *= n
                payload = len(f.read())
        except (OSError, EOFError, struct.error) as err:
            raise ValueError(f"{path.name} is not a readable gzipped IDX file ({err})") from err
        if data_type != 0x08 or count != expected_count or payload != count * item_size:
            raise ValueError(f"{path.name}: expected {expected_count} uint8 items, found header "
                             f"type={data_type:#x} count={count} and {payload} payload bytes")

    return check


def keras_weights(application: str, **kwargs):
    """A Keras ``.h5`` weight file that loads into ``keras.applications.<application>(weights=None, **kwargs)``.

    A legacy ``.h5`` weight file holds arrays only (no code), and loading it
    into the architecture checks every layer's name and shape.  Used by
    :mod:`helpers.assets` for the MobileNetV2 and MobileNet weight files.
    """

    def check(path: Path) -> None:
        import keras

        model = getattr(keras.applications, application)(weights=None, **kwargs)
        try:
            model.load_weights(path)
        except Exception as err:  # h5py and Keras raise OSError, ValueError, KeyError, ...
            first_line = str(err).strip().splitlines()[0][:120] if str(err).strip() else ""
            raise ValueError(f"{path.name} does not load into {application} "
                             f"({type(err).__name__}: {first_line})") from err

    return check


def zip_archive(path: Path) -> None:
    """A zip file whose central directory and CRCs are intact.

    Used by :mod:`helpers.assets` for the ``hotdog-mini`` zip.
    """
    try:
        with zipfile.ZipFile(path) as z:
            bad = z.testzip()
    except (OSError, EOFError, zipfile.BadZipFile) as err:
        raise ValueError(f"{path.name} is not a readable zip archive ({err})") from err
    if bad is not None:
        raise ValueError(f"{path.name}: member {bad} is corrupt")


class _ArraysOnly(pickle.Unpickler):
    """Unpickles NumPy arrays and nothing else (no other class, no function call)."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}  # what NumPy arrays need

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a data file")
        return super().find_class(module, name)


def mnist_pickle_to_npz(raw: bytes) -> bytes:
    """The classic ``mnist.pkl.gz`` (train 50k, valid 10k, test 10k; float32 = uint8/256, flattened) as Keras' npz.

    The caller has verified ``raw`` against its pinned sha256; the unpickler
    still accepts nothing but arrays.  The result is written byte-for-byte
    reproducibly (fixed zip timestamps), so the installed file has a pinned
    sha256 too.  Used by :mod:`helpers.assets` to install the ``mnist`` asset.
    """
    import numpy as np

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
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:
        for name, array in arrays.items():
            with z.open(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), "w") as f:
                np.lib.format.write_array(f, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()
