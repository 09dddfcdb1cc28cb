"""The registry of every file the course uses, and whether each asset is installed.

Nothing here touches the network: :mod:`helpers.fetch` installs (``data_download.py`` is its command line),
notebook 00 lists the assets and their state, :mod:`helpers.data` checks an asset before loading it.

Trust: the checksums pinned here decide: ``online_hash`` is what the public source publishes (``md5:``, ``sha1:``
or ``sha256:``, as pooch writes them); the course mirror's copy of each file has its sha256 and size pinned in
``checksums/mirror.sha256`` (it is not always byte-identical to the public one: see its MANIFEST.md).  Where the
source publishes no checksum, a download is accepted if it loads (``check``).  Installed or not is decided from
a receipt the installer writes last, with the sha256 of every file it put in place: a file that matches its
receipt or a pinned checksum is installed, one that matches neither is "corrupt", and one the course cannot
check by hash and did not install (weights Keras downloaded itself) is "unchecked" until ``data_download.py``
checks it once.  Nothing is loaded or built to decide.

    >>> from helpers.assets import ASSETS
    >>> ASSETS["chelsea"].licence
    'CC0 (scikit-image data)'
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from pooch import file_hash

from helpers import paths, validators

KERAS_DATASETS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
KERAS_APPS = "https://storage.googleapis.com/tensorflow/keras-applications/"
SKIMAGE_DATA = "https://raw.githubusercontent.com/scikit-image/scikit-image/v0.26.0/skimage/data/"
HOTDOG_MINI_COMMIT = "c719396d87a52102a78a683ac4394086a4a7190a"
CHECKSUM_DIR = Path(__file__).resolve().parent / "checksums"
COURSE_FOLDER = ".augment-course"  # in each root: the receipts and the install lock


def read_checksums(path: Path, fields: int) -> list[tuple[str, ...]]:
    """The one parser of checksum lists, ``<sha256> <field> ...`` per line (``#`` comments, blank lines skipped);
    anything else raises ``ValueError`` naming the file and line."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"{Path(path).name} is not UTF-8 text (byte {err.start})") from None
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        tokens = line.split()
        if not tokens or tokens[0].startswith("#"):
            continue
        if len(tokens) != fields or not re.fullmatch(r"[0-9a-fA-F]{64}", tokens[0]):
            raise ValueError(f"{Path(path).name}, line {number}: expected a sha256 and {fields - 1} more field(s), "
                             f"found {line.strip()[:80]!r}")
        rows.append((tokens[0].lower(), *tokens[1:]))
    return rows


MIRROR_PINS = {path: (sha, int(size)) for sha, size, path in read_checksums(CHECKSUM_DIR / "mirror.sha256", 3)}


@dataclass(frozen=True)
class File:
    """One file of an asset: where it installs (``root`` + ``target``), where it comes from, what it must hash to."""

    target: str  # path below its root
    root: str  # "data" (the course data folder) or "keras" ($KERAS_HOME)
    url: str  # the public original
    online_hash: str | None  # the checksum the public source publishes, or None
    mirror_path: str | None = None  # path in a course mirror (None: online only); pinned in MIRROR_PINS
    check: Callable[[Path], None] | None = None  # load-check, only where the source publishes no checksum
    convert: Callable[[Path, Path], None] | None = None  # writes the installed file from the verified download
    converted_sha256: str | None = None  # with convert: what the installed file hashes to

    @property
    def mirror_sha256(self) -> str | None:
        return MIRROR_PINS[self.mirror_path][0] if self.mirror_path else None


@dataclass(frozen=True)
class Unpack:
    """How an asset's one file, a zip, becomes the folder ``<data>/<folder>``."""

    folder: str
    online_prefix: str  # the folder inside the public zip that becomes ``folder``
    mirror_prefix: str  # ... and inside the mirror's zip
    photo_list: str | None = None  # a file in checksums/ pinning each photo's sha256: only those are taken
    expected_files: int | None = None


@dataclass(frozen=True)
class Asset:
    """One thing a learner can install by name (notebook 00 lists them, ``data_download.py`` installs them)."""

    name: str
    title: str
    licence: str
    needed_by: tuple[str, ...]
    root: str
    files: tuple[File, ...]
    unpack: Unpack | None = None
    optional: bool = False  # not part of the default download
    note: str = ""


def _from_mirror(target: str, root: str, url: str, online_hash: str | None, check=None) -> File:
    return File(target, root, url, online_hash, f"{'keras/' if root == 'keras' else ''}{target}", check)


def _keras_weights(name: str, folder: str, application: str, **kwargs) -> File:
    return _from_mirror(f"models/{name}", "keras", f"{KERAS_APPS}{folder}/{name}", None,
                        partial(validators.keras_weights, application=application, **kwargs))


def _idx(name: str, count: int) -> File:
    return _from_mirror(f"datasets/fashion-mnist/{name}", "keras", KERAS_DATASETS + name, None,
                        partial(validators.idx_gz, count=count))


NB_SETUP, NB_AUG, NB_IDG = "00_setup_check", "01_image_augmentation", "02_image_data_generator"
NB_FT, NB_SPEED, TESTS = "03_fine_tuning_hotdog", "04_input_pipeline_speed", "the unit tests"
_PICKLE_SHA = "sha256:" + MIRROR_PINS["datasets/mnist.pkl.gz"][0]  # the public pickle is the mirror's file

_ALL: tuple[Asset, ...] = (
    Asset("mnist", "MNIST digits, 60k train + 10k test, as Keras' mnist.npz lays them out (what load_mnist() reads)",
          "CC BY-SA 3.0 (Yann LeCun and Corinna Cortes)", (NB_IDG,), "data",
          (File("datasets/mnist.npz", "data",
                "https://github.com/mnielsen/neural-networks-and-deep-learning/raw/master/data/mnist.pkl.gz",
                _PICKLE_SHA, "datasets/mnist.pkl.gz",
                convert=partial(validators.mnist_pickle_to_npz, pinned=_PICKLE_SHA),
                converted_sha256="0cd53e72456ac2cb982903d584a6633c213797f3156fd95123b718bf1d7a8669"),),
          note="converted from the classic mnist.pkl.gz at install time, so no loader unpickles anything"),
    Asset("fashion-mnist", "Fashion-MNIST clothing images into the Keras cache (keras.datasets.fashion_mnist)",
          "MIT (Zalando SE)", (NB_IDG,), "keras",
          (_idx("train-images-idx3-ubyte.gz", 60000), _idx("train-labels-idx1-ubyte.gz", 60000),
           _idx("t10k-images-idx3-ubyte.gz", 10000), _idx("t10k-labels-idx1-ubyte.gz", 10000))),
    Asset("chelsea", "the cat photo (Chelsea), 451x300 RGB", "CC0 (scikit-image data)", (NB_AUG, NB_FT), "data",
          (_from_mirror("images/chelsea.png", "data", SKIMAGE_DATA + "chelsea.png",
                        "sha256:" + MIRROR_PINS["images/chelsea.png"][0]),)),
    Asset("coffee", "a cup of coffee, 600x400 RGB (an ImageNet model says 'espresso')", "CC0 (scikit-image data)",
          (NB_SETUP, NB_AUG, NB_FT), "data",
          (_from_mirror("images/coffee.png", "data", SKIMAGE_DATA + "coffee.png",
                        "sha256:" + MIRROR_PINS["images/coffee.png"][0]),)),
    Asset("hotdog-mini", "200 food photos, hot dog or not: train 80+80, test 20+20 (the course default)",
          "AGPL-3.0 (repo truepositive/hotdog_nothotdog); photos appear to come from Food-101/Kaggle",
          (NB_SETUP, NB_IDG, NB_FT, NB_SPEED), "data",
          # GitHub's archive bytes are not stable (no checksum): every photo is verified instead.
          (File("downloads/hotdog-mini.zip", "data",
                f"https://github.com/truepositive/hotdog_nothotdog/archive/{HOTDOG_MINI_COMMIT}.zip", None,
                "datasets/hotdog-mini.zip"),),
          Unpack("hotdog-mini", f"hotdog_nothotdog-{HOTDOG_MINI_COMMIT}/", "hotdog-mini/", "hotdog-mini.sha256", 200)),
    Asset("hotdog", "d2l's full hot-dog set: train 1000+1000, test 400+400 (optional, for a GPU or time)",
          "as distributed by d2l.ai for teaching", (NB_FT,), "data",
          (File("downloads/hotdog.zip", "data", "http://d2l-data.s3-accelerate.amazonaws.com/hotdog.zip",
                "sha1:fba480ffa8aa7e0febbb511d181409f899b9baa5"),),
          Unpack("hotdog", "hotdog/", "hotdog/", expected_files=2800), optional=True, note="online only"),
    Asset("imagenet-class-index", "ImageNet class names, for decode_predictions (class 934 is 'hotdog')",
          "Apache-2.0 (Keras)", (NB_SETUP, NB_FT), "keras",
          (_from_mirror("models/imagenet_class_index.json", "keras",
                        "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json",
                        "md5:c2c37ea517e94d9795004a39431a14cb"),)),
    Asset("mobilenet-v2", "MobileNetV2 (alpha 1.0, 224x224) ImageNet weights, with and without the top",
          "Apache-2.0", (NB_SETUP, NB_FT), "keras",
          (_keras_weights("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5", "mobilenet_v2",
                          "MobileNetV2"),
           _keras_weights("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5", "mobilenet_v2",
                          "MobileNetV2", include_top=False)),
          note="the mirror's copy is converted from Google's TFLite model: within about a point of Keras' file"),
    Asset("mobilenet-0.25", "MobileNet (alpha 0.25, 224x224) ImageNet weights: tiny and fast, for quick tests",
          "Apache-2.0", (TESTS,), "keras",
          (_keras_weights("mobilenet_2_5_224_tf.h5", "mobilenet", "MobileNet", alpha=0.25),
           _keras_weights("mobilenet_2_5_224_tf_no_top.h5", "mobilenet", "MobileNet", alpha=0.25,
                          include_top=False))),
    Asset("resnet50", "ResNet50 ImageNet weights, with and without the top (notebook 03, exercise 2)",
          "Apache-2.0", (NB_FT,), "keras",
          (File("models/resnet50_weights_tf_dim_ordering_tf_kernels.h5", "keras",
                f"{KERAS_APPS}resnet/resnet50_weights_tf_dim_ordering_tf_kernels.h5",
                "md5:2cb95161c43110f7111970584f804107"),
           File("models/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", "keras",
                f"{KERAS_APPS}resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
                "md5:4d473c1dd8becc155b73f8504c6f6626")),
          optional=True, note="online only; needed to switch notebook 03 to ResNet50"),
)

ASSETS: dict[str, Asset] = {a.name: a for a in _ALL}
DEFAULT_ASSETS: tuple[str, ...] = tuple(a.name for a in _ALL if not a.optional)


def get(name: str) -> Asset:
    """The asset called ``name``, with a helpful error for typos."""
    try:
        return ASSETS[name]
    except KeyError:
        raise ValueError(f"unknown asset {name!r}; known assets: {', '.join(ASSETS)}") from None


def target_path(file: File) -> Path:
    """Where ``file`` is installed."""
    return paths.root(file.root) / file.target


def folder_path(asset: Asset) -> Path:
    """The folder an unpacked asset lives in."""
    return paths.data_dir() / asset.unpack.folder


def photo_list(asset: Asset) -> dict[str, tuple[str, str]]:
    """For an unpacked asset with a pinned list: ``{path in its folder: (sha256, path in the public archive)}``."""
    if asset.unpack is None or asset.unpack.photo_list is None:
        return {}
    return {local: (sha, source) for sha, source, local in read_checksums(CHECKSUM_DIR / asset.unpack.photo_list, 3)}


# ---------------------------------------------------------------- receipts and state
def receipt_path(asset: Asset) -> Path:
    """Where :mod:`helpers.fetch` writes the receipt of ``asset``."""
    return paths.root(asset.root) / COURSE_FOLDER / f"{asset.name}.json"


def read_receipt(asset: Asset) -> dict[str, str]:
    """``{path below the root: sha256}`` of what the installer put in place; empty when there is none."""
    try:
        files = json.loads(receipt_path(asset).read_text("utf-8"))["files"]
        return {k: str(v) for k, v in files.items()  # paths inside the root only: a receipt never leads outside
                if isinstance(k, str) and "/" in k and not k.startswith("/") and ".." not in k.split("/")}
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return {}


def extra_files(folder: Path, expected: set[str]) -> list[str]:
    """Files below an unpacked ``folder`` that the course did not put there (a learner's own photos), sorted."""
    return sorted(rel for p in folder.rglob("*") if p.is_file()  # .installed.json: older versions' receipt
                  and (rel := p.relative_to(folder).as_posix()) not in expected and rel != ".installed.json")


@dataclass
class State:
    """What :func:`state` returns (notebook 00 and ``data_download.py --list`` print it)."""

    status: str  # "installed", "missing", "unchecked" or "corrupt"
    detail: str = ""


def file_state(file: File, receipt: dict[str, str]) -> tuple[str, str]:
    """``(status, why)`` of one file: "installed", "missing", "unchecked" or "corrupt" (see the module)."""
    path = target_path(file)
    if not path.is_file():
        return "missing", ""
    pinned = [file.online_hash, file.mirror_sha256 and "sha256:" + file.mirror_sha256] if file.convert is None \
        else ["sha256:" + file.converted_sha256]
    if any(h and file_hash(path, h.split(":")[0]) == h.split(":")[1] for h in pinned):
        return "installed", ""
    if file.target in receipt:
        return ("installed", "") if file_hash(path) == receipt[file.target] else ("corrupt", "changed since installed")
    if file.check is None or file.convert is not None:
        return "corrupt", "matches none of the checksums pinned in the course"
    return "unchecked", ""


def state(asset: Asset) -> State:
    """Whether ``asset`` is installed and intact: hashes its files against the receipt and the pinned checksums."""
    receipt = read_receipt(asset)
    if asset.unpack:
        return _folder_state(asset, receipt)
    found: dict[str, list[str]] = {}
    for file in asset.files:
        status, why = file_state(file, receipt)
        found.setdefault(status, []).append(Path(file.target).name + (f": {why}" if why else ""))
    if "corrupt" in found:
        return State("corrupt", "; ".join(found["corrupt"]))
    if "missing" in found:
        return State("missing", ", ".join(found["missing"]) if len(found["missing"]) < len(asset.files) else "")
    if "unchecked" in found:
        return State("unchecked", f"{', '.join(found['unchecked'])}: not installed by the course; "
                                  f"`python data_download.py {asset.name}` checks it once")
    return State("installed")


def _folder_state(asset: Asset, receipt: dict[str, str]) -> State:
    folder = folder_path(asset)
    if not folder.is_dir():
        return State("missing")
    prefix = asset.unpack.folder + "/"
    listed = {local: sha for local, (sha, _) in photo_list(asset).items()}
    expected = listed or {k[len(prefix):]: v for k, v in receipt.items() if k.startswith(prefix)}
    if not expected or (asset.unpack.expected_files and len(expected) != asset.unpack.expected_files):
        return State("corrupt", "unpacking never finished: run the download again")
    bad = [p for p, sha in expected.items() if not (folder / p).is_file() or file_hash(folder / p) != sha]
    if bad:
        return State("corrupt", f"{len(bad)} of {len(expected)} files missing or changed, e.g. {bad[0]}")
    extras = extra_files(folder, set(expected))
    if extras:
        return State("installed", f"also holds {len(extras)} file(s) of yours, kept: {', '.join(extras[:3])}"
                     + (", ..." if len(extras) > 3 else ""))
    return State("installed")
