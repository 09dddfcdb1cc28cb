"""The registry of every file the course uses: what it is, where it comes from, where it goes.

Nothing here touches the network; :mod:`helpers.fetch` does the work and
``data_download.py`` is its command line.  Each :class:`Asset` is one thing a
learner can name (``python data_download.py hotdog-mini``) and is made of one
or more :class:`FileSpec` (single files) or one :class:`ArchiveSpec` (a zip
that is unpacked into a folder).

Checksums: ``online_hash`` is what the *public source* publishes (Keras'
hashes, d2l's SHA-1, ...), written ``"sha256:..."``, ``"sha1:..."`` or
``"md5:..."``; ``None`` means the source publishes none, and the file is then
checked by loading it (``validate``).  ``mirror_sha256`` is the sha256 of the
course mirror's copy, which is not always byte-identical to the public file
(see the mirror's MANIFEST.md); a copy from a mirror is verified against the
mirror's own ``SHA256SUMS``.

Example::

    >>> from helpers.assets import ASSETS
    >>> ASSETS["chelsea"].licence
    'CC0 (scikit-image data)'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from helpers import validators

KERAS_DATASETS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
KERAS_APPS = "https://storage.googleapis.com/tensorflow/keras-applications/"
SKIMAGE_DATA = "https://raw.githubusercontent.com/scikit-image/scikit-image/v0.26.0/skimage/data/"
HOTDOG_MINI_COMMIT = "c719396d87a52102a78a683ac4394086a4a7190a"
CHECKSUM_DIR = Path(__file__).resolve().parent / "checksums"


@dataclass(frozen=True)
class FileSpec:
    """One file: where it installs (``root`` + ``target``) and where it comes from."""

    target: str  # path below its root
    root: str  # "data" (the course data folder) or "keras" ($KERAS_HOME)
    urls: tuple[str, ...]  # public originals, tried in order
    online_hash: str | None  # checksum the public source publishes, or None
    mirror_path: str | None = None  # path inside a course mirror, None if no mirror has it
    mirror_sha256: str | None = None  # sha256 of the mirror's copy
    size: int | None = None  # bytes of the mirror's copy (None: not in the mirror)
    validate: Callable[[Path], None] | None = None  # load-check, used when no hash applies


@dataclass(frozen=True)
class ArchiveSpec:
    """A zip that is unpacked into ``<data>/<extract_to>/``.

    ``archive`` describes the zip itself.  ``member_prefix`` is the folder inside
    the zip that becomes ``extract_to`` (it differs between the mirror's zip and
    the public one, hence one per source).  ``member_checksums`` optionally names
    a file listing every photo's sha256: each unpacked file is then verified,
    and only listed files are taken.
    """

    archive: FileSpec
    extract_to: str
    online_prefix: str
    mirror_prefix: str
    member_checksums: str | None = None
    expected_files: int | None = None


@dataclass(frozen=True)
class Asset:
    name: str
    title: str
    licence: str
    needed_by: tuple[str, ...]
    files: tuple[FileSpec, ...] = ()
    archive: ArchiveSpec | None = None
    optional: bool = False  # not part of the default download
    note: str = ""

    def specs(self) -> tuple[FileSpec, ...]:
        return (self.archive.archive,) if self.archive else self.files


def _read_mirror_table() -> tuple[dict[str, str], dict[str, int]]:
    """sha256 and size of each mirror file, from the course's copy of the mirror's checksum list."""
    sums, sizes = {}, {}
    for line in (CHECKSUM_DIR / "mirror.sha256").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            sha, size, path = line.split()
            sums[path], sizes[path] = sha, int(size)
    return sums, sizes


_SUMS, _SIZES = _read_mirror_table()


def _mirrored(target: str, root: str, urls: tuple[str, ...], online_hash: str | None,
              mirror_path: str, validate: Callable[[Path], None] | None) -> FileSpec:
    return FileSpec(target, root, urls, online_hash, mirror_path, _SUMS[mirror_path],
                    _SIZES[mirror_path], validate)


def _keras_model_file(name: str, folder: str, validate=validators.keras_weights_h5) -> FileSpec:
    """Keras publishes no hash for the MobileNet files: they are checked by loading."""
    return _mirrored(f"models/{name}", "keras", (f"{KERAS_APPS}{folder}/{name}",), None,
                     f"keras/models/{name}", validate)


_FASHION = (
    ("train-images-idx3-ubyte.gz", 60000), ("train-labels-idx1-ubyte.gz", 60000),
    ("t10k-images-idx3-ubyte.gz", 10000), ("t10k-labels-idx1-ubyte.gz", 10000),
)
NB_SETUP = "00_setup_check"
NB_AUG = "01_image_augmentation"
NB_IDG = "02_image_data_generator"
NB_FT = "03_fine_tuning_hotdog"
NB_SPEED = "04_input_pipeline_speed"
TESTS = "the unit tests"

_ALL: tuple[Asset, ...] = (
    Asset(
        "mnist-pickle", "MNIST digits, classic pickle (50k+10k train, 10k test; what load_mnist() reads offline)",
        "CC BY-SA 3.0 (Yann LeCun and Corinna Cortes)", (NB_IDG,),
        files=(_mirrored(
            "datasets/mnist.pkl.gz", "data",
            ("https://github.com/mnielsen/neural-networks-and-deep-learning/raw/master/data/mnist.pkl.gz",),
            # The public copy is the same file as the mirror's (MANIFEST.md).
            "sha256:" + _SUMS["datasets/mnist.pkl.gz"], "datasets/mnist.pkl.gz", validators.mnist_pickle),),
    ),
    Asset(
        "mnist", "MNIST digits as Keras ships them (mnist.npz, for keras.datasets.mnist.load_data())",
        "CC BY-SA 3.0 (Yann LeCun and Corinna Cortes)", (NB_IDG,),
        files=(FileSpec("datasets/mnist.npz", "keras", (f"{KERAS_DATASETS}mnist.npz",),
                        "sha256:731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
                        validate=validators.mnist_npz),),
        optional=True, note="online only; load_mnist() gives the same arrays from mnist-pickle",
    ),
    Asset(
        "fashion-mnist", "Fashion-MNIST clothing images into the Keras cache (keras.datasets.fashion_mnist)",
        "MIT (Zalando SE)", (NB_IDG,),
        files=tuple(_mirrored(f"datasets/fashion-mnist/{n}", "keras", (f"{KERAS_DATASETS}{n}",), None,
                              f"keras/datasets/fashion-mnist/{n}", validators.idx_gz(count))
                    for n, count in _FASHION),
    ),
    Asset(
        "chelsea", "the cat photo (Chelsea), 451x300 RGB", "CC0 (scikit-image data)", (NB_AUG, NB_FT),
        files=(_mirrored("images/chelsea.png", "data", (f"{SKIMAGE_DATA}chelsea.png",),
                         "sha256:" + _SUMS["images/chelsea.png"], "images/chelsea.png", validators.image),),
    ),
    Asset(
        "coffee", "a cup of coffee, 600x400 RGB (an ImageNet model says 'espresso')", "CC0 (scikit-image data)",
        (NB_SETUP, NB_AUG, NB_FT),
        files=(_mirrored("images/coffee.png", "data", (f"{SKIMAGE_DATA}coffee.png",),
                         "sha256:" + _SUMS["images/coffee.png"], "images/coffee.png", validators.image),),
    ),
    Asset(
        "hotdog-mini", "200 food photos, hot dog or not: train 80+80, test 20+20 (the course default)",
        "AGPL-3.0 (repo truepositive/hotdog_nothotdog); photos appear to come from Food-101/Kaggle",
        (NB_SETUP, NB_IDG, NB_FT, NB_SPEED),
        archive=ArchiveSpec(
            FileSpec("downloads/hotdog-mini.zip", "data",
                     (f"https://github.com/truepositive/hotdog_nothotdog/archive/{HOTDOG_MINI_COMMIT}.zip",),
                     None,  # GitHub's archive bytes are not stable: every photo is verified instead
                     "datasets/hotdog-mini.zip", _SUMS["datasets/hotdog-mini.zip"],
                     _SIZES["datasets/hotdog-mini.zip"], validators.zip_archive),
            extract_to="hotdog-mini",
            online_prefix=f"hotdog_nothotdog-{HOTDOG_MINI_COMMIT}/",
            mirror_prefix="hotdog-mini/",
            member_checksums="hotdog-mini.sha256",
            expected_files=200,
        ),
    ),
    Asset(
        "hotdog", "d2l's full hot-dog set: train 1000+1000, test 400+400 (optional, for a GPU or time)",
        "as distributed by d2l.ai for teaching", (NB_FT,),
        archive=ArchiveSpec(
            FileSpec("downloads/hotdog.zip", "data", ("http://d2l-data.s3-accelerate.amazonaws.com/hotdog.zip",),
                     "sha1:fba480ffa8aa7e0febbb511d181409f899b9baa5", validate=validators.zip_archive),
            extract_to="hotdog", online_prefix="hotdog/", mirror_prefix="hotdog/", expected_files=2800,
        ),
        optional=True, note="online only",
    ),
    Asset(
        "imagenet-class-index", "ImageNet class names, for decode_predictions (class 934 is 'hotdog')",
        "Apache-2.0 (Keras)", (NB_SETUP, NB_FT),
        files=(_mirrored("models/imagenet_class_index.json", "keras",
                         ("https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json",),
                         "md5:c2c37ea517e94d9795004a39431a14cb", "keras/models/imagenet_class_index.json",
                         validators.imagenet_class_index),),
    ),
    Asset(
        "mobilenet-v2", "MobileNetV2 (alpha 1.0, 224x224) ImageNet weights, with and without the top",
        "Apache-2.0", (NB_SETUP, NB_FT),
        files=(_keras_model_file("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5", "mobilenet_v2"),
               _keras_model_file("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5",
                                 "mobilenet_v2")),
        note="the mirror's copy is converted from Google's TFLite model: within about a point of Keras' file",
    ),
    Asset(
        "mobilenet-0.25", "MobileNet (alpha 0.25, 224x224) ImageNet weights: tiny and fast, for quick tests",
        "Apache-2.0", (TESTS,),
        files=(_keras_model_file("mobilenet_2_5_224_tf.h5", "mobilenet"),
               _keras_model_file("mobilenet_2_5_224_tf_no_top.h5", "mobilenet")),
    ),
    Asset(
        "resnet50", "ResNet50 ImageNet weights, with and without the top (the syllabus's model)",
        "Apache-2.0", (NB_FT,),
        files=(FileSpec("models/resnet50_weights_tf_dim_ordering_tf_kernels.h5", "keras",
                        (f"{KERAS_APPS}resnet/resnet50_weights_tf_dim_ordering_tf_kernels.h5",),
                        "md5:2cb95161c43110f7111970584f804107", validate=validators.keras_weights_h5),
               FileSpec("models/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", "keras",
                        (f"{KERAS_APPS}resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",),
                        "md5:4d473c1dd8becc155b73f8504c6f6626", validate=validators.keras_weights_h5)),
        optional=True, note="online only; needed to switch notebook 03 to ResNet50",
    ),
)

ASSETS: dict[str, Asset] = {a.name: a for a in _ALL}
DEFAULT_ASSETS: tuple[str, ...] = tuple(a.name for a in _ALL if not a.optional)


def get(name: str) -> Asset:
    """Look up an asset by name, with a helpful error for typos."""
    try:
        return ASSETS[name]
    except KeyError:
        raise ValueError(f"unknown asset {name!r}; known assets: {', '.join(ASSETS)}") from None


def member_checksums(asset: Asset) -> dict[str, tuple[str, str]]:
    """For an archive with a per-photo list: ``{path in extract_to: (sha256, path in public archive)}``."""
    spec = asset.archive
    if spec is None or spec.member_checksums is None:
        return {}
    table = {}
    for line in (CHECKSUM_DIR / spec.member_checksums).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            sha, archive_path, local_path = line.split()
            table[local_path] = (sha, archive_path)
    return table
