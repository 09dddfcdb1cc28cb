"""The registry of every file the course uses, and the rule that says whether it is installed.

Nothing here touches the network; :mod:`helpers.fetch` does the work and
``data_download.py`` is its command line.  Each :class:`Asset` is one thing a
learner can name (``python data_download.py hotdog-mini``) and is made of one
or more :class:`FileSpec` (single files) or one :class:`ArchiveSpec` (a zip
that is unpacked into a folder).

Who uses it: notebook 00 (sections "Which assets are installed?" and "What each
notebook needs") lists the assets and their state; :mod:`helpers.data` checks an
asset before loading it; the rest is plumbing for :mod:`helpers.fetch`.

Trust: the checksums pinned here decide.  ``online_hash`` is what the public
source publishes (``"sha256:..."``, ``"sha1:..."`` or ``"md5:..."``);
``mirror_sha256`` is the course mirror's copy, pinned in
``checksums/mirror.sha256`` (the mirror's copy is not always byte-identical to
the public file, see its MANIFEST.md).  A file that matches no pinned checksum
is refused, except where the public source publishes none (``online_hash is
None``): then a file that passes its load-check (``validate``) is accepted.
A mirror's own ``SHA256SUMS`` can add a check, never replace one.

Example::

    >>> from helpers.assets import ASSETS
    >>> ASSETS["chelsea"].licence
    'CC0 (scikit-image data)'
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from helpers import paths, validators

KERAS_DATASETS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
KERAS_APPS = "https://storage.googleapis.com/tensorflow/keras-applications/"
SKIMAGE_DATA = "https://raw.githubusercontent.com/scikit-image/scikit-image/v0.26.0/skimage/data/"
HOTDOG_MINI_COMMIT = "c719396d87a52102a78a683ac4394086a4a7190a"
CHECKSUM_DIR = Path(__file__).resolve().parent / "checksums"
RECEIPT = ".installed.json"  # written last into an unpacked folder: each file's sha256


@dataclass(frozen=True)
class FileSpec:
    """One file: where it installs (``root`` + ``target``) and where it comes from.

    The registry below is made of these; :mod:`helpers.fetch` installs them.
    """

    target: str  # path below its root
    root: str  # "data" (the course data folder) or "keras" ($KERAS_HOME)
    urls: tuple[str, ...]  # public originals, tried in order
    online_hash: str | None  # checksum the public source publishes, or None
    mirror_path: str | None = None  # path inside a course mirror, None if no mirror has it
    mirror_sha256: str | None = None  # sha256 of the mirror's copy
    size: int | None = None  # bytes of the mirror's copy (None: not in the mirror)
    validate: Callable[[Path], None] | None = None  # load-check, only where the source publishes no hash
    convert: Callable[[bytes], bytes] | None = None  # turns the verified source into the installed file
    installed_sha256: str | None = None  # with convert: the sha256 of the installed file


@dataclass(frozen=True)
class ArchiveSpec:
    """A zip that is unpacked into ``<data>/<extract_to>/``.

    ``archive`` describes the zip itself.  ``member_prefix`` is the folder inside
    the zip that becomes ``extract_to`` (it differs between the mirror's zip and
    the public one, hence one per source).  ``member_checksums`` optionally names
    a file listing every photo's sha256: each unpacked file is then verified,
    and only listed files are taken.  :func:`helpers.fetch.unpack` follows it.
    """

    archive: FileSpec
    extract_to: str
    online_prefix: str
    mirror_prefix: str
    member_checksums: str | None = None
    expected_files: int | None = None


@dataclass(frozen=True)
class Asset:
    """One thing a learner can install by name.

    Listed in notebook 00 (sections "Which assets are installed?" and "What each notebook needs") and by
    ``data_download.py``; installed by :mod:`helpers.fetch`, looked up by :mod:`helpers.data`.
    """

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


def read_checksums(path: Path, fields: int) -> list[tuple[str, ...]]:
    """The one parser of checksum lists: ``<sha256> <field> ...`` per line; blank lines and ``#`` comments skipped.

    Raises ``ValueError`` naming the file and line for anything else (a line
    with the wrong number of fields, a checksum that is not 64 hex digits, a
    file that is not UTF-8 text).  Used here and by :func:`helpers.fetch.mirror_sums`.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"{path.name} is not UTF-8 text (byte {err.start})") from None
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        tokens = line.split()
        if not tokens or tokens[0].startswith("#"):
            continue
        if len(tokens) != fields or not re.fullmatch(r"[0-9a-fA-F]{64}", tokens[0]):
            raise ValueError(f"{path.name}, line {number}: expected a sha256 and {fields - 1} more field(s), "
                             f"found {line.strip()[:80]!r}")
        rows.append((tokens[0].lower(), *tokens[1:]))
    return rows


_SUMS, _SIZES = {}, {}
for _sha, _size, _path in read_checksums(CHECKSUM_DIR / "mirror.sha256", 3):
    _SUMS[_path], _SIZES[_path] = _sha, int(_size)


def _mirrored(target: str, root: str, urls: tuple[str, ...], online_hash: str | None,
              mirror_path: str, validate: Callable[[Path], None] | None = None) -> FileSpec:
    return FileSpec(target, root, urls, online_hash, mirror_path, _SUMS[mirror_path], _SIZES[mirror_path], validate)


def _keras_model_file(name: str, folder: str, application: str, **kwargs) -> FileSpec:
    """Keras publishes no hash for the MobileNet files: the mirror's copy is pinned, Keras' own is load-checked."""
    return _mirrored(f"models/{name}", "keras", (f"{KERAS_APPS}{folder}/{name}",), None,
                     f"keras/models/{name}", validators.keras_weights(application, **kwargs))


_FASHION = (
    ("train-images-idx3-ubyte.gz", 60000), ("train-labels-idx1-ubyte.gz", 60000),
    ("t10k-images-idx3-ubyte.gz", 10000), ("t10k-labels-idx1-ubyte.gz", 10000),
)
_MNIST_PICKLE = "datasets/mnist.pkl.gz"
NB_SETUP = "00_setup_check"
NB_AUG = "01_image_augmentation"
NB_IDG = "02_image_data_generator"
NB_FT = "03_fine_tuning_hotdog"
NB_SPEED = "04_input_pipeline_speed"
TESTS = "the unit tests"

_ALL: tuple[Asset, ...] = (
    Asset(
        "mnist", "MNIST digits, 60k train + 10k test, as Keras' mnist.npz lays them out (what load_mnist() reads)",
        "CC BY-SA 3.0 (Yann LeCun and Corinna Cortes)", (NB_IDG,),
        files=(FileSpec(
            "datasets/mnist.npz", "data",
            ("https://github.com/mnielsen/neural-networks-and-deep-learning/raw/master/data/mnist.pkl.gz",),
            # The public pickle is the same file as the mirror's (MANIFEST.md); it is converted at install time.
            "sha256:" + _SUMS[_MNIST_PICKLE], _MNIST_PICKLE, _SUMS[_MNIST_PICKLE], _SIZES[_MNIST_PICKLE],
            convert=validators.mnist_pickle_to_npz,
            installed_sha256="0cd53e72456ac2cb982903d584a6633c213797f3156fd95123b718bf1d7a8669"),),
        note="converted from the classic mnist.pkl.gz at install time, so no loader unpickles anything",
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
                         "sha256:" + _SUMS["images/chelsea.png"], "images/chelsea.png"),),
    ),
    Asset(
        "coffee", "a cup of coffee, 600x400 RGB (an ImageNet model says 'espresso')", "CC0 (scikit-image data)",
        (NB_SETUP, NB_AUG, NB_FT),
        files=(_mirrored("images/coffee.png", "data", (f"{SKIMAGE_DATA}coffee.png",),
                         "sha256:" + _SUMS["images/coffee.png"], "images/coffee.png"),),
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
                     "sha1:fba480ffa8aa7e0febbb511d181409f899b9baa5"),
            extract_to="hotdog", online_prefix="hotdog/", mirror_prefix="hotdog/", expected_files=2800,
        ),
        optional=True, note="online only",
    ),
    Asset(
        "imagenet-class-index", "ImageNet class names, for decode_predictions (class 934 is 'hotdog')",
        "Apache-2.0 (Keras)", (NB_SETUP, NB_FT),
        files=(_mirrored("models/imagenet_class_index.json", "keras",
                         ("https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json",),
                         "md5:c2c37ea517e94d9795004a39431a14cb", "keras/models/imagenet_class_index.json"),),
    ),
    Asset(
        "mobilenet-v2", "MobileNetV2 (alpha 1.0, 224x224) ImageNet weights, with and without the top",
        "Apache-2.0", (NB_SETUP, NB_FT),
        files=(_keras_model_file("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5", "mobilenet_v2",
                                 "MobileNetV2"),
               _keras_model_file("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5",
                                 "mobilenet_v2", "MobileNetV2", include_top=False)),
        note="the mirror's copy is converted from Google's TFLite model: within about a point of Keras' file",
    ),
    Asset(
        "mobilenet-0.25", "MobileNet (alpha 0.25, 224x224) ImageNet weights: tiny and fast, for quick tests",
        "Apache-2.0", (TESTS,),
        files=(_keras_model_file("mobilenet_2_5_224_tf.h5", "mobilenet", "MobileNet", alpha=0.25),
               _keras_model_file("mobilenet_2_5_224_tf_no_top.h5", "mobilenet", "MobileNet", alpha=0.25,
                                 include_top=False)),
    ),
    Asset(
        "resnet50", "ResNet50 ImageNet weights, with and without the top (the syllabus's model)",
        "Apache-2.0", (NB_FT,),
        files=(FileSpec("models/resnet50_weights_tf_dim_ordering_tf_kernels.h5", "keras",
                        (f"{KERAS_APPS}resnet/resnet50_weights_tf_dim_ordering_tf_kernels.h5",),
                        "md5:2cb95161c43110f7111970584f804107"),
               FileSpec("models/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", "keras",
                        (f"{KERAS_APPS}resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",),
                        "md5:4d473c1dd8becc155b73f8504c6f6626")),
        optional=True, note="online only; needed to switch notebook 03 to ResNet50",
    ),
)

ASSETS: dict[str, Asset] = {a.name: a for a in _ALL}
DEFAULT_ASSETS: tuple[str, ...] = tuple(a.name for a in _ALL if not a.optional)


def get(name: str) -> Asset:
    """Look up an asset by name, with a helpful error for typos.

    Used in notebook 00, section "Which assets are installed?", by ``data_download.py``,
    :mod:`helpers.data` and :mod:`helpers.fetch`.
    """
    try:
        return ASSETS[name]
    except KeyError:
        raise ValueError(f"unknown asset {name!r}; known assets: {', '.join(ASSETS)}") from None


def member_checksums(asset: Asset) -> dict[str, tuple[str, str]]:
    """For an archive with a per-photo list: ``{path in extract_to: (sha256, path in public archive)}``.

    Used by :func:`installed_files` and :func:`helpers.fetch.plan_members`.
    """
    spec = asset.archive
    if spec is None or spec.member_checksums is None:
        return {}
    rows = read_checksums(CHECKSUM_DIR / spec.member_checksums, 3)
    return {local: (sha, archive_path) for sha, archive_path, local in rows}


# ---------------------------------------------------------------- is it installed?
def target_path(spec: FileSpec) -> Path:
    """Where ``spec`` is installed; used by :mod:`helpers.data` (its loaders) and :mod:`helpers.fetch`."""
    return paths.root(spec.root) / spec.target


def folder_path(asset: Asset) -> Path:
    """The folder an archive asset unpacks into; used by :func:`helpers.data.hotdog_dir` and :mod:`helpers.fetch`."""
    return paths.data_dir() / asset.archive.extract_to


def file_hash(path: Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in blocks; used here and by :mod:`helpers.fetch`."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def matches(path: Path, checksum: str) -> bool:
    """True if ``path`` has ``checksum`` (``"algo:hex"``); used by :func:`file_problem`."""
    algorithm, expected = checksum.split(":", 1)
    return file_hash(path, algorithm) == expected.lower()


def source_hashes(spec: FileSpec) -> list[str]:
    """The checksums pinned for the file as it arrives (public source, mirror).

    Used by :func:`file_problem` and by :mod:`helpers.fetch` before it converts a file.
    """
    return [h for h in (spec.online_hash, spec.mirror_sha256 and "sha256:" + spec.mirror_sha256) if h]


def file_problem(spec: FileSpec, path: Path, arrived_from: str | None = None) -> str | None:
    """None if ``path`` is a good copy of ``spec``, else what is wrong with it.

    ``arrived_from=None`` checks the installed file; ``"online"`` or ``"mirror"``
    checks a download before it is installed.  Only a file from a source that
    publishes no checksum may be accepted by its load-check: a mirror's copy
    must match its pinned sha256.  Used by :func:`state` and :mod:`helpers.fetch`.
    """
    if arrived_from is None and spec.convert is not None:
        return None if matches(path, "sha256:" + spec.installed_sha256) else "checksum mismatch (not the course's file)"
    if any(matches(path, h) for h in source_hashes(spec)):
        return None
    if spec.online_hash is None and spec.validate is not None and arrived_from != "mirror":
        try:
            spec.validate(path)  # the public source publishes no hash: a file that loads is a good file
            return None
        except ValueError as err:
            return f"the file does not load ({err})"
    return "checksum mismatch (it matches none of the checksums pinned in the course)"


@dataclass
class State:
    """What :func:`state` returns (notebook 00 and ``data_download.py --list`` print it)."""

    status: str  # "installed", "missing" or "corrupt"
    detail: str = ""


def state(asset: Asset) -> State:
    """Whether ``asset`` is installed and intact (this reads and hashes its files).

    Used in notebook 00, section "Which assets are installed?", by ``data_download.py --list``,
    :func:`helpers.data.require` and :mod:`helpers.fetch`.
    """
    if asset.archive:
        return _folder_state(asset)
    missing, corrupt = [], []
    for spec in asset.files:
        path = target_path(spec)
        if not path.is_file():
            missing.append(path.name)
        elif (problem := file_problem(spec, path)) is not None:
            corrupt.append(f"{path.name}: {problem}")
    if corrupt:
        return State("corrupt", "; ".join(corrupt))
    if missing:
        return State("missing", ", ".join(missing) if len(missing) < len(asset.files) else "")
    return State("installed")


def installed_files(asset: Asset) -> dict[str, str] | None:
    """``{path: sha256}`` of an unpacked set: the pinned list, else the receipt (None: unpacking never finished).

    Used only here, by :func:`state` for archive assets.
    """
    pinned = member_checksums(asset)
    if pinned:
        return {local: sha for local, (sha, _) in pinned.items()}
    try:
        return dict(json.loads((folder_path(asset) / RECEIPT).read_text())["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def extra_files(folder: Path, expected: dict[str, str]) -> list[str]:
    """Files below ``folder`` that the course did not put there (a learner's own photos), sorted.

    Used by :func:`state` and by :mod:`helpers.fetch`, which keeps those files when it reinstalls.
    """
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and p.name != RECEIPT and p.relative_to(folder).as_posix() not in expected)


def _folder_state(asset: Asset) -> State:
    folder = folder_path(asset)
    if not folder.is_dir():
        return State("missing")
    expected = installed_files(asset)
    if expected is None:
        return State("corrupt", "unpacking never finished: run the download again")
    bad = [p for p, sha in expected.items() if not (folder / p).is_file() or file_hash(folder / p) != sha]
    if bad:
        return State("corrupt", f"{len(bad)} of {len(expected)} files missing or changed, e.g. {bad[0]}")
    extras = extra_files(folder, expected)
    if extras:
        return State("installed", f"also holds {len(extras)} file(s) of yours, kept: {', '.join(extras[:3])}"
                     + (", ..." if len(extras) > 3 else ""))
    return State("installed")
