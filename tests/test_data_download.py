"""The command line, the mirror path, and the hot-dog photos' per-file verification."""

from __future__ import annotations

import dataclasses
import io
import shutil
import subprocess
import sys
import zipfile

import pytest
from conftest import Route

import data_download
from helpers import assets, fetch
from helpers.paths import PROJECT_ROOT


def run_cli(*args: str) -> tuple[int, str, str]:
    result = subprocess.run([sys.executable, "data_download.py", *args], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=300)
    return result.returncode, result.stdout, result.stderr


def test_help_lists_every_asset_and_the_mirror_option():
    code, out, _ = run_cli("--help")
    assert code == 0
    assert "--mirror DIR" in out
    for name in assets.ASSETS:
        assert name in out


def test_list_on_an_empty_machine_shows_everything_missing(isolated_dirs):
    code, out, _ = run_cli("--list")
    assert code == 0
    for name in assets.ASSETS:
        row = next(line for line in out.splitlines() if line.startswith(name + " "))
        assert "missing" in row
    assert f"{len(assets.DEFAULT_ASSETS)} required asset(s) not installed" in out


def test_unknown_asset_is_a_usage_error(isolated_dirs):
    code, _, err = run_cli("no-such-thing")
    assert code == 2 and "unknown asset(s) no-such-thing" in err


def test_missing_mirror_folder_is_a_clear_error(isolated_dirs, tmp_path):
    code, _, err = run_cli("chelsea", "--mirror", str(tmp_path / "nowhere"))
    assert code == 1 and "does not exist" in err


def test_everything_installs_from_the_mirror_and_verifies(isolated_dirs, mirror):
    data, keras_home = isolated_dirs
    code, out, err = run_cli("--mirror", str(mirror))
    assert code == 0, err
    assert f"all {len(assets.DEFAULT_ASSETS)} asset(s) installed and verified" in out
    code, out, _ = run_cli("--list")
    for name in assets.DEFAULT_ASSETS:
        row = next(line for line in out.splitlines() if line.startswith(name + " "))
        assert " installed " in row, row
    assert (keras_home / "models" / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5").is_file()
    assert (keras_home / "datasets" / "fashion-mnist" / "train-images-idx3-ubyte.gz").is_file()
    assert len(list((data / "hotdog-mini").rglob("*.jpg"))) == 200
    assert not list(data.rglob("*.part")) and not list(keras_home.rglob("*.part"))

    # A damaged file is reported as corrupt, and a re-run repairs it.
    (data / "images" / "chelsea.png").write_bytes(b"not a png")
    _, out, _ = run_cli("--list")
    assert "corrupt" in next(line for line in out.splitlines() if line.startswith("chelsea "))
    code, _, _ = run_cli("--mirror", str(mirror))
    assert code == 0 and fetch.state(assets.get("chelsea")).status == "installed"


def test_online_only_assets_are_named_when_asked_from_a_mirror(isolated_dirs, mirror):
    code, _, err = run_cli("resnet50", "--mirror", str(mirror))
    assert code == 1
    assert "resnet50" in err and "needed by 03_fine_tuning_hotdog" in err


def test_offline_failure_names_the_lacking_assets_and_suggests_the_mirror(isolated_dirs, closed_port_url,
                                                                         monkeypatch, capsys):
    for name in ("chelsea", "coffee"):
        asset = assets.get(name)
        offline = dataclasses.replace(asset.files[0], urls=(f"{closed_port_url}/{name}.png",))
        monkeypatch.setitem(assets.ASSETS, name, dataclasses.replace(asset, files=(offline,)))
    assert data_download.main(["chelsea", "coffee"]) == 1
    err = capsys.readouterr().err
    assert "2 asset(s) could not be installed" in err
    assert "chelsea" in err and "01_image_augmentation" in err
    assert "--mirror" in err


def test_a_corrupt_mirror_file_is_refused(isolated_dirs, mirror, tmp_path):
    damaged = tmp_path / "mirror"
    shutil.copytree(mirror / "images", damaged / "images")
    shutil.copy(mirror / "SHA256SUMS", damaged / "SHA256SUMS")
    (damaged / "images" / "coffee.png").chmod(0o644)
    (damaged / "images" / "coffee.png").write_bytes(b"damaged in transit")
    outcome = fetch.install_one(assets.get("coffee"), mirror=damaged)
    assert not outcome.ok and "checksum mismatch" in outcome.message
    assert not fetch.target_path(assets.get("coffee").files[0]).exists()


# ---------------------------------------------------------------- hotdog-mini online
@pytest.fixture
def github_style_archive(mirror) -> bytes:
    """An archive laid out like GitHub's for the pinned commit, built from the mirror's photos.

    It also holds files the course must ignore (the source's val/ folder, a README).
    """
    top = assets.get("hotdog-mini").archive.online_prefix
    listed = assets.member_checksums(assets.get("hotdog-mini"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(mirror / "datasets" / "hotdog-mini.zip") as source, zipfile.ZipFile(buffer, "w") as out:
        for local, (_, source_path) in listed.items():
            out.writestr(top + source_path, source.read("hotdog-mini/" + local))
        out.writestr(top + "val/hotdog/extra.jpg", b"not part of hotdog-mini")
        out.writestr(top + "README.md", b"readme")
    return buffer.getvalue()


def online_hotdog(url: str):
    asset = assets.get("hotdog-mini")
    spec = dataclasses.replace(asset.archive, archive=dataclasses.replace(asset.archive.archive, urls=(url,)))
    return dataclasses.replace(asset, archive=spec)


def test_hotdog_mini_online_is_verified_photo_by_photo(isolated_dirs, http_server, github_style_archive):
    data, _ = isolated_dirs
    http_server.routes["/archive.zip"] = Route(github_style_archive)
    asset = online_hotdog(http_server.url + "/archive.zip")
    outcome = fetch.install_one(asset)
    assert outcome.ok, outcome.message
    photos = sorted(p.relative_to(data / "hotdog-mini").as_posix() for p in (data / "hotdog-mini").rglob("*.jpg"))
    assert len(photos) == 200 and photos == sorted(assets.member_checksums(asset))
    assert fetch.state(asset).status == "installed"
    assert not (data / "downloads" / "hotdog-mini.zip").exists()  # unpacked and verified: the zip is removed


def test_hotdog_mini_with_a_changed_photo_installs_nothing(isolated_dirs, http_server, github_style_archive):
    data, _ = isolated_dirs
    source = zipfile.ZipFile(io.BytesIO(github_style_archive))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for i, info in enumerate(source.infolist()):
            out.writestr(info, source.read(info) + (b"tampered" if i == 7 else b""))
    http_server.routes["/archive.zip"] = Route(buffer.getvalue())
    outcome = fetch.install_one(online_hotdog(http_server.url + "/archive.zip"))
    assert not outcome.ok and "does not match its checksum" in outcome.message
    assert not (data / "hotdog-mini").exists()
