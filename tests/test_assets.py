"""The asset registry: complete, consistent with the mirror, one checksum parser, validators that can run."""

from __future__ import annotations

import ast
import gzip
import hashlib
import io
import os
import pickle
import shutil
import struct
import subprocess
import sys

import numpy as np
import pytest

from helpers import assets, validators
from helpers.paths import PROJECT_ROOT


def test_every_asset_says_what_it_is_its_licence_and_who_needs_it():
    notebooks = {p.stem for p in (PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    for asset in assets.ASSETS.values():
        assert asset.title and asset.licence, asset.name
        assert asset.needed_by and set(asset.needed_by) <= notebooks | {assets.TESTS}, asset.name
        for spec in asset.files:
            assert spec.url.startswith(("https://", "http://")), asset.name
            assert spec.root == asset.root and asset.root in ("data", "keras")
            # Every file can be checked: a pinned checksum, a load test, or (an archive) every photo pinned.
            assert spec.online_hash or spec.check or (asset.unpack and asset.unpack.photo_list), spec.target


def test_validators_are_attached_only_where_they_can_run():
    """A load-check runs only when the public source publishes no checksum; anywhere else it is dead code."""
    for asset in assets.ASSETS.values():
        for spec in asset.files:
            if spec.check is not None:
                assert spec.online_hash is None, f"{spec.target}: its load-check could never run"
            if spec.online_hash is None and not asset.unpack:
                assert spec.check is not None, f"{spec.target}: an online copy could not be checked"
            if spec.convert is not None:
                assert len(spec.converted_sha256) == 64 and spec.online_hash, spec.target


def test_checksums_name_their_algorithm():
    for asset in assets.ASSETS.values():
        for spec in asset.files:
            if spec.online_hash:
                algorithm, digest = spec.online_hash.split(":")
                assert len(digest) == {"md5": 32, "sha1": 40, "sha256": 64}[algorithm], spec.target


def test_mirror_files_are_listed_with_size_and_sha256():
    for asset in assets.ASSETS.values():
        for spec in asset.files:
            if spec.mirror_path:
                assert len(spec.mirror_sha256) == 64 and assets.MIRROR_PINS[spec.mirror_path][1] > 0


def test_default_set_works_offline_and_optional_ones_are_marked():
    for name in assets.DEFAULT_ASSETS:
        assert all(spec.mirror_path for spec in assets.get(name).files), f"{name} is required but not in the mirror"
    assert {a.name for a in assets.ASSETS.values() if a.optional} == {"hotdog", "resnet50"}


def test_hotdog_mini_checksum_list_covers_every_photo():
    listed = assets.photo_list(assets.get("hotdog-mini"))
    assert len(listed) == 200
    splits = {path.split("/")[0] + "/" + path.split("/")[1] for path in listed}
    assert splits == {"train/hotdog", "train/not-hotdog", "test/hotdog", "test/not-hotdog"}


def test_the_pinned_mirror_list_agrees_with_the_mirror(mirror):
    sums = {name.removeprefix("./"): sha for sha, name in assets.read_checksums(mirror / "SHA256SUMS", 2)}
    for asset in assets.ASSETS.values():
        for spec in asset.files:
            if spec.mirror_path:
                assert sums[spec.mirror_path] == spec.mirror_sha256, spec.mirror_path


# ---------------------------------------------------------------- the one checksum parser
SHA = "ab" * 32


def test_read_checksums_skips_comments_and_blank_lines(tmp_path):
    listing = tmp_path / "SUMS"
    listing.write_text(f"# a comment\n\n{SHA.upper()}  ./a.txt\n{SHA} b.txt\n")
    assert assets.read_checksums(listing, 2) == [(SHA, "./a.txt"), (SHA, "b.txt")]


@pytest.mark.parametrize("content, fields, says", [
    (f"{SHA}\n".encode(), 2, "line 1: expected a sha256 and 1 more field"),  # one token
    (f"{SHA}  a.txt\nnot-a-checksum  b.txt\n".encode(), 2, "line 2"),
    (f"{SHA}  a.txt  extra\n".encode(), 2, "line 1"),
    (f"{SHA}  caf\xe9.txt\n".encode("latin-1"), 2, "is not UTF-8 text"),
    (f"{SHA}  12\n".encode(), 3, "and 2 more field"),
])
def test_read_checksums_names_the_bad_line(tmp_path, content, fields, says):
    listing = tmp_path / "SUMS"
    listing.write_bytes(content)
    with pytest.raises(ValueError, match=says):
        assets.read_checksums(listing, fields)


# ---------------------------------------------------------------- validators: a good and a corrupt file each
def idx_bytes(count: int, payload_bytes: int | None = None) -> bytes:
    header = struct.pack(">II", 0x0803, count) + struct.pack(">II", 2, 2)
    return gzip.compress(header + b"\x07" * (count * 4 if payload_bytes is None else payload_bytes))


@pytest.mark.parametrize("content, good", [
    (idx_bytes(3), True),
    (idx_bytes(3, payload_bytes=11), False),  # truncated payload
    (idx_bytes(4), False),  # wrong count
    (b"not gzip at all", False),
], ids=["good", "truncated payload", "wrong count", "not gzip"])
def test_idx_gz(tmp_path, content, good):
    path = tmp_path / "items.gz"
    path.write_bytes(content)
    if good:
        validators.idx_gz(path, 3)
    else:
        with pytest.raises(ValueError, match="items.gz"):
            validators.idx_gz(path, 3)


@pytest.mark.slow
def test_keras_weights_loads_the_file_into_its_architecture(tmp_path, mirror):
    no_top = mirror / "keras" / "models" / "mobilenet_2_5_224_tf_no_top.h5"
    def check_no_top(path):
        validators.keras_weights(path, "MobileNet", alpha=0.25, include_top=False)

    check_no_top(no_top)
    with pytest.raises(ValueError, match="does not load into MobileNet"):  # the right file for another model
        validators.keras_weights(no_top, "MobileNet", alpha=0.25)
    truncated = tmp_path / "weights.h5"
    truncated.write_bytes(no_top.read_bytes()[:50_000])
    with pytest.raises(ValueError, match="weights.h5 does not load"):
        check_no_top(truncated)


class WritesAMarker:
    """A pickle that runs code when loaded: it creates a file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def fake_mnist_pickle(rng: np.random.Generator) -> tuple[bytes, dict[str, np.ndarray]]:
    """The classic pickle's layout (float32 = uint8/256, flattened), with the arrays Keras' layout must give."""
    x = rng.integers(0, 256, (80, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, 80).astype(np.int64)
    flat = (x.reshape(80, -1) / np.float32(256)).astype(np.float32)
    splits = ((flat[:50], y[:50]), (flat[50:60], y[50:60]), (flat[60:], y[60:]))
    expected = {"x_train": x[:60], "y_train": y[:60].astype(np.uint8), "x_test": x[60:],
                "y_test": y[60:].astype(np.uint8)}
    return gzip.compress(pickle.dumps(splits, protocol=2)), expected


def convert(tmp_path, raw: bytes, pinned: str | None = None) -> bytes:
    """What validators.mnist_pickle_to_npz writes for the pickle ``raw`` (pinned: its own sha256 by default)."""
    (tmp_path / "in.pkl.gz").write_bytes(raw)
    pinned = pinned or "sha256:" + hashlib.sha256(raw).hexdigest()
    validators.mnist_pickle_to_npz(tmp_path / "in.pkl.gz", tmp_path / "out.npz", pinned)
    return (tmp_path / "out.npz").read_bytes()


def test_mnist_pickle_becomes_keras_npz_reproducibly(tmp_path):
    raw, expected = fake_mnist_pickle(np.random.default_rng(0))
    converted = convert(tmp_path, raw)
    assert convert(tmp_path, raw) == converted  # byte for byte: the installed file has a pinned hash
    with np.load(io.BytesIO(converted), allow_pickle=False) as arrays:
        assert sorted(arrays) == sorted(expected)
        for name, array in expected.items():
            assert arrays[name].dtype == np.uint8
            np.testing.assert_array_equal(arrays[name], array)


def test_mnist_conversion_runs_no_code_from_the_pickle(tmp_path):
    marker = tmp_path / "pwned"
    with pytest.raises(ValueError, match="refusing to load"):
        convert(tmp_path, gzip.compress(pickle.dumps(WritesAMarker(marker))))
    assert not marker.exists()
    with pytest.raises(ValueError, match="not the classic MNIST pickle"):
        convert(tmp_path, b"garbage")
    with pytest.raises(ValueError, match="changed after it was verified"):  # the bytes converted are re-checked
        convert(tmp_path, fake_mnist_pickle(np.random.default_rng(0))[0], pinned="sha256:" + "0" * 64)


@pytest.mark.parametrize("module, must_not_load", [
    ("helpers.validators", {"helpers.assets", "helpers.fetch", "helpers.data"}),
    ("helpers.assets", {"helpers.fetch", "helpers.data"}),
    ("helpers.fetch", {"helpers.data", "helpers.classify"}),
    ("helpers.data", {"helpers.fetch", "helpers.classify"}),  # the loaders never import the downloader
])
def test_modules_import_downward_only(module, must_not_load):
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.startswith('helpers.')))"
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=120, env=dict(os.environ, PYTHONPATH=str(PROJECT_ROOT)))
    loaded = set(ast.literal_eval(result.stdout.strip().splitlines()[-1]))
    assert not loaded & must_not_load, f"{module} pulls in {sorted(loaded & must_not_load)}"


def test_every_copy_of_the_package_keeps_its_data_in_the_users_cache_folder(tmp_path):
    """The course folder's helpers and a pip-installed copy (a wheel in site-packages) use the same data folder,
    the cache folder pooch names, so `python data_download.py` there and a notebook using the installed package
    agree; COURSE_DATA_DIR wins in both."""
    shutil.copytree(PROJECT_ROOT / "helpers", tmp_path / "site" / "helpers")
    code = "from helpers import paths; print(paths.data_dir())"
    env = {k: v for k, v in os.environ.items() if k != "COURSE_DATA_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    for copy in (tmp_path / "site", PROJECT_ROOT):
        run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                             env=dict(env, PYTHONPATH=str(copy)))
        assert run.stdout.strip() == str(tmp_path / "cache" / "augment-course"), run.stderr
        run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                             env=dict(env, PYTHONPATH=str(copy), COURSE_DATA_DIR=str(tmp_path / "mine")))
        assert run.stdout.strip() == str(tmp_path / "mine"), run.stderr
