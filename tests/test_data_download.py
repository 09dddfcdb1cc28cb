"""The command line, the mirror path, and the hot-dog photos' per-file verification."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import os
import pickle
import shutil
import signal
import subprocess
import sys
import zipfile

import filelock
import pytest
from local_http import Route

import data_download
from helpers import assets, fetch
from helpers import data as data_module
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
    assert code == 1  # a script can tell that the course is not ready
    for name in assets.ASSETS:
        row = next(line for line in out.splitlines() if line.startswith(name + " "))
        assert "missing" in row
    assert f"{len(assets.DEFAULT_ASSETS)} required asset(s) not installed" in out


def test_unknown_asset_is_a_usage_error(isolated_dirs):
    code, _, err = run_cli("no-such-thing")
    assert code == 2 and "unknown asset(s) no-such-thing" in err


def test_everything_installs_from_the_mirror_and_verifies(isolated_dirs, mirror):
    data, keras_home = isolated_dirs
    code, out, err = run_cli("--mirror", str(mirror))
    assert code == 0, err
    assert f"all {len(assets.DEFAULT_ASSETS)} asset(s) installed and verified" in out
    code, out, _ = run_cli("--list")
    assert code == 0
    for name in assets.DEFAULT_ASSETS:
        row = next(line for line in out.splitlines() if line.startswith(name + " "))
        assert " installed " in row, row
    assert (keras_home / "models" / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5").is_file()
    assert (keras_home / "datasets" / "fashion-mnist" / "train-images-idx3-ubyte.gz").is_file()
    assert len(list((data / "hotdog-mini").rglob("*.jpg"))) == 200
    assert not list(data.rglob("*.download")) and not list(keras_home.rglob("*.download"))

    # A damaged file is reported as corrupt, and a re-run repairs it.
    (data / "images" / "chelsea.png").write_bytes(b"not a png")
    code, out, _ = run_cli("--list")
    assert code == 1 and "corrupt" in next(line for line in out.splitlines() if line.startswith("chelsea "))
    code, _, _ = run_cli("--mirror", str(mirror))
    assert code == 0 and assets.state(assets.get("chelsea")).status == "installed"


def test_online_only_assets_are_named_when_asked_from_a_mirror(isolated_dirs, mirror):
    code, _, err = run_cli("resnet50", "--mirror", str(mirror))
    assert code == 1
    assert "resnet50" in err and "needed by 03_fine_tuning_hotdog" in err


def test_offline_failure_names_the_lacking_assets_and_suggests_the_mirror(isolated_dirs, closed_port_url,
                                                                         monkeypatch, capsys):
    for name in ("chelsea", "coffee"):
        asset = assets.get(name)
        offline = dataclasses.replace(asset.files[0], url=f"{closed_port_url}/{name}.png")
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
    assert not outcome.ok and "matches none of the checksums pinned" in outcome.message
    assert "use a course mirror" not in outcome.message.lower()  # one is in use already
    assert not fetch.target_path(assets.get("coffee").files[0]).exists()


def partial_mirror(mirror, tmp_path, *files: str):
    """A writable copy of some of the mirror's files, with its SHA256SUMS."""
    copy = tmp_path / "mirror-copy"
    for name in (*files, "SHA256SUMS"):
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(mirror / name, copy / name)
    return copy


def with_own_sum(copy, name: str) -> None:
    """What a hostile mirror does: list the changed file's real sha256 in its own SHA256SUMS."""
    sums = (copy / "SHA256SUMS").read_text().splitlines()
    digest = hashlib.sha256((copy / name).read_bytes()).hexdigest()
    (copy / "SHA256SUMS").write_text("\n".join(f"{digest}  ./{name}" if line.endswith("./" + name) else line
                                               for line in sums) + "\n")


def test_a_tampered_mirror_cannot_run_code(isolated_dirs, mirror, tmp_path):
    """A mirror whose MNIST pickle runs a command, with a matching SHA256SUMS: refused, and nothing runs."""
    data, _ = isolated_dirs
    marker = tmp_path / "pwned"
    copy = partial_mirror(mirror, tmp_path, "datasets/mnist.pkl.gz")
    payload = f"import pathlib; pathlib.Path({str(marker)!r}).touch()"
    (copy / "datasets" / "mnist.pkl.gz").write_bytes(gzip.compress(
        b"cbuiltins\nexec\n(" + pickle.dumps(payload, protocol=0)[:-1] + b"tR."))
    with_own_sum(copy, "datasets/mnist.pkl.gz")
    code, out, err = run_cli("mnist", "--mirror", str(copy))
    assert code == 1 and "installed and verified" not in out
    assert "matches none of the checksums pinned in the course" in out
    assert err.strip().splitlines()[-1] == "Each message above says what to do; then run the same command again."
    with pytest.raises(data_module.MissingAssetError):
        data_module.load_mnist()
    assert not marker.exists()
    assert not list(data.rglob("mnist*"))


def test_the_mirrors_own_sums_add_a_check(isolated_dirs, mirror, tmp_path):
    """A right file that the mirror's SHA256SUMS disagrees with means a damaged mirror: refused."""
    copy = partial_mirror(mirror, tmp_path, "images/chelsea.png")
    (copy / "SHA256SUMS").write_text(f"{'0' * 64}  ./images/chelsea.png\n")
    outcome = fetch.install_one(assets.get("chelsea"), mirror=copy)
    assert not outcome.ok and "does not match the mirror's SHA256SUMS" in outcome.message
    (copy / "SHA256SUMS").unlink()  # a mirror without its own list: the pinned checksum still decides
    assert fetch.install_one(assets.get("chelsea"), mirror=copy).ok


def test_a_mirror_zip_that_differs_from_the_pinned_one_is_refused(isolated_dirs, mirror, tmp_path):
    data, _ = isolated_dirs
    copy = partial_mirror(mirror, tmp_path, "datasets/hotdog-mini.zip")
    with zipfile.ZipFile(copy / "datasets" / "hotdog-mini.zip", "a") as z:
        z.writestr("hotdog-mini/README.txt", b"a valid zip with every photo, and one more member")
    with_own_sum(copy, "datasets/hotdog-mini.zip")
    outcome = fetch.install_one(assets.get("hotdog-mini"), mirror=copy)
    assert not outcome.ok and "matches none of the checksums pinned" in outcome.message
    assert not (data / "hotdog-mini").exists()


def test_two_installers_at_once_both_succeed(isolated_dirs, mirror):
    data, keras_home = isolated_dirs
    runs = [subprocess.Popen([sys.executable, "data_download.py", "--mirror", str(mirror)], cwd=PROJECT_ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(run.wait(timeout=300), *run.communicate()) for run in runs]
    for code, out, err in results:
        assert code == 0, err
        assert f"all {len(assets.DEFAULT_ASSETS)} asset(s) installed and verified" in out
        assert "Traceback" not in err
    assert any("waiting for it to finish" in err for _, _, err in results)
    for name in assets.DEFAULT_ASSETS:
        assert assets.state(assets.get(name)).status == "installed", name
    assert not list(data.rglob("*.download")) and not list(keras_home.rglob("*.download"))


def test_a_learners_photo_survives_a_repair_and_a_force(isolated_dirs, mirror):
    data, _ = isolated_dirs
    assert run_cli("hotdog-mini", "--mirror", str(mirror))[0] == 0
    mine = data / "hotdog-mini" / "train" / "not-hotdog" / "my_lunch.jpg"
    mine.write_bytes(b"the learner's own photo")
    code, out, _ = run_cli("hotdog-mini", "--mirror", str(mirror))
    assert code == 0 and "already installed" in out and "my_lunch.jpg" in out
    photo = sorted((data / "hotdog-mini" / "test" / "hotdog").glob("*.jpg"))[0]
    photo.write_bytes(b"damaged")  # a repair replaces the folder ...
    code, out, _ = run_cli("hotdog-mini", "--mirror", str(mirror))
    assert code == 0 and "your 1 own file(s) were kept" in out
    assert mine.read_bytes() == b"the learner's own photo"  # ... and keeps the learner's file
    code, out, _ = run_cli("hotdog-mini", "--mirror", str(mirror), "--force")
    assert code == 0 and "your 1 own file(s) were moved to" in out
    assert not mine.exists()
    (aside,) = data.glob("hotdog-mini-your-files-*")
    assert (aside / "train" / "not-hotdog" / "my_lunch.jpg").read_bytes() == b"the learner's own photo"
    assert assets.state(assets.get("hotdog-mini")).status == "installed"


def test_ctrl_c_says_how_to_resume_and_leaves_nothing_complete(isolated_dirs, mirror):
    data, _ = isolated_dirs
    data.mkdir(parents=True)
    (data / assets.COURSE_FOLDER).mkdir()
    with filelock.FileLock(data / assets.COURSE_FOLDER / "install.lock"):  # another install: the CLI waits ...
        run = subprocess.Popen([sys.executable, "data_download.py", "chelsea", "--mirror", str(mirror)],
                               cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert "waiting for it to finish" in run.stderr.readline()
        run.send_signal(signal.SIGINT)  # ... and the learner presses Ctrl-C
        out, err = run.communicate(timeout=60)
    assert run.returncode == 130
    assert err.strip().splitlines()[-1] == "interrupted; run again to resume"
    assert "Traceback" not in err and "installed and verified" not in out
    assert not (data / "images" / "chelsea.png").exists()


# ---------------------------------------------------------------- bad input: one line that says what to do
def crafted_archive_mirror(tmp_path, monkeypatch, members: dict[str, bytes]):
    """A mirror whose hotdog-mini.zip is ``members``, with its sha256 pinned (as if the course had pinned it)."""
    copy = tmp_path / "crafted-mirror"
    (copy / "datasets").mkdir(parents=True)
    with zipfile.ZipFile(copy / "datasets" / "hotdog-mini.zip", "w") as z:
        for name, content in members.items():
            z.writestr(name, content)
    asset = assets.get("hotdog-mini")
    crafted = (copy / "datasets" / "hotdog-mini.zip").read_bytes()
    monkeypatch.setitem(assets.MIRROR_PINS, "datasets/hotdog-mini.zip", (hashlib.sha256(crafted).hexdigest(),
                                                                          len(crafted)))
    unpack = dataclasses.replace(asset.unpack, photo_list=None, expected_files=None)
    monkeypatch.setitem(assets.ASSETS, "hotdog-mini", dataclasses.replace(asset, unpack=unpack))
    return ["hotdog-mini", "--mirror", str(copy)]


def mirror_with(tmp_path, mirror, sums: bytes | None = None, zip_bytes: bytes | None = None):
    copy = partial_mirror(mirror, tmp_path, "images/chelsea.png", "datasets/hotdog-mini.zip")
    if sums is not None:
        (copy / "SHA256SUMS").write_bytes(sums)
    if zip_bytes is not None:
        (copy / "datasets" / "hotdog-mini.zip").write_bytes(zip_bytes)
        with_own_sum(copy, "datasets/hotdog-mini.zip")
    return copy


def data_folder_is_a_file(tmp_path, mirror, monkeypatch):
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "a-file"))
    return ["chelsea", "--mirror", str(mirror)]


def read_only_data_folder(tmp_path, mirror, monkeypatch):
    (tmp_path / "data").mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: str(p) != str(tmp_path / "data") and real_access(p, mode))
    return ["chelsea", "--mirror", str(mirror)]


def cannot_write_a_file(tmp_path, mirror, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "data" / "images"))

    monkeypatch.setattr(shutil, "copyfileobj", refuse)
    return ["chelsea", "--mirror", str(mirror)]


def interrupted(tmp_path, mirror, monkeypatch):
    def ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(fetch, "install", ctrl_c)
    return ["chelsea", "--mirror", str(mirror)]


BAD_INPUT = [  # (case, setup returning the arguments, what the last line says, what it must not say)
    ("data folder is a file", data_folder_is_a_file, "is a file, not a folder: point COURSE_DATA_DIR", None),
    ("read-only data folder", read_only_data_folder, "cannot write to", None),
    ("a file cannot be written", cannot_write_a_file, "Permission denied", None),
    ("mirror is a file", lambda t, m, mp: ["chelsea", "--mirror", str(m / "SHA256SUMS")],
     "is a file: pass the mirror's folder", "does not exist"),
    ("mirror does not exist", lambda t, m, mp: ["chelsea", "--mirror", str(t / "nowhere")],
     "does not exist: check the path", None),
    ("SHA256SUMS line with one token", lambda t, m, mp: ["chelsea", "--mirror", str(
        mirror_with(t, m, sums=b"596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb\n"))],
     "SHA256SUMS cannot be read (SHA256SUMS, line 1", None),
    ("SHA256SUMS not UTF-8", lambda t, m, mp: ["chelsea", "--mirror", str(mirror_with(t, m, sums=b"\xff\xfe"))],
     "SHA256SUMS cannot be read (SHA256SUMS is not UTF-8", None),
    ("mirror zip that is not a zip", lambda t, m, mp: ["hotdog-mini", "--mirror", str(
        mirror_with(t, m, zip_bytes=b"not a zip"))], "matches none of the checksums pinned", None),
    ("file missing from the mirror", lambda t, m, mp: ["coffee", "--mirror", str(partial_mirror(m, t))],
     "is missing from the mirror", "only available online"),
    ("online-only asset from the mirror", lambda t, m, mp: ["resnet50", "--mirror", str(m)],
     "only available online (run the command without --mirror", "use a course mirror"),
    ("member both a file and a folder", lambda t, m, mp: crafted_archive_mirror(
        t, mp, {"hotdog-mini/a": b"file", "hotdog-mini/a/b.jpg": b"and folder"}), "as both a file and a folder", None),
    ("unknown asset", lambda t, m, mp: ["no-such-thing"], "unknown asset(s) no-such-thing", None),
    ("Ctrl-C", interrupted, "interrupted; run again to resume", None),
]


@pytest.mark.parametrize("setup, says, never", [row[1:] for row in BAD_INPUT], ids=[row[0] for row in BAD_INPUT])
def test_bad_input_ends_in_a_line_that_says_what_to_do(isolated_dirs, mirror, tmp_path, monkeypatch, capsys,
                                                      setup, says, never):
    code = data_download.main(setup(tmp_path, mirror, monkeypatch))
    out, err = capsys.readouterr()
    assert code != 0
    last = err.strip().splitlines()[-1]
    assert says in last or says in out, out + err  # the error line, or the asset's FAILED line above the summary
    assert last.startswith(("error: ", "interrupted; run again")) or last.startswith("Each message above says"), last
    assert never is None or never.lower() not in (out + err).lower(), out + err


# ---------------------------------------------------------------- hotdog-mini online
@pytest.fixture
def github_style_archive(mirror) -> bytes:
    """An archive laid out like GitHub's for the pinned commit, built from the mirror's photos.

    It also holds files the course must ignore (the source's val/ folder, a README).
    """
    top = assets.get("hotdog-mini").unpack.online_prefix
    listed = assets.photo_list(assets.get("hotdog-mini"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(mirror / "datasets" / "hotdog-mini.zip") as source, zipfile.ZipFile(buffer, "w") as out:
        for local, (_, source_path) in listed.items():
            out.writestr(top + source_path, source.read("hotdog-mini/" + local))
        out.writestr(top + "val/hotdog/extra.jpg", b"not part of hotdog-mini")
        out.writestr(top + "README.md", b"readme")
    return buffer.getvalue()


def online_hotdog(url: str):
    asset = assets.get("hotdog-mini")
    return dataclasses.replace(asset, files=(dataclasses.replace(asset.files[0], url=url),))


def test_hotdog_mini_online_is_verified_photo_by_photo(isolated_dirs, http_server, github_style_archive):
    data, _ = isolated_dirs
    http_server.routes["/archive.zip"] = Route(github_style_archive)
    asset = online_hotdog(http_server.url + "/archive.zip")
    outcome = fetch.install_one(asset)
    assert outcome.ok, outcome.message
    photos = sorted(p.relative_to(data / "hotdog-mini").as_posix() for p in (data / "hotdog-mini").rglob("*.jpg"))
    assert len(photos) == 200 and photos == sorted(assets.photo_list(asset))
    assert assets.state(asset).status == "installed"
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


# ---------------------------------------------------------------- the command line's own edges
def test_a_closed_pipe_ends_the_listing_quietly(isolated_dirs):
    """`python data_download.py --list | head -1`: the reader stops early; no error about folders, no traceback."""
    run = subprocess.Popen([sys.executable, "data_download.py", "--list"], cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    first = run.stdout.readline()
    run.stdout.close()  # what `head -1` does after its line
    err = run.stderr.read().decode()
    run.wait(timeout=60)
    assert first.startswith(b"course data folder:")
    assert err == "", err


def test_ctrl_c_during_the_first_import_is_one_line(tmp_path):
    """Ctrl-C while Python is still importing the course's modules (slow on a first run): one line, exit 130."""
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\n"
        "class CtrlC:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'pooch':\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, CtrlC())\n")
    result = subprocess.run([sys.executable, "data_download.py", "--list"], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, timeout=60, env=dict(os.environ, PYTHONPATH=str(tmp_path)))
    assert result.returncode == 130 and result.stdout == ""
    assert result.stderr.strip() == "interrupted; run again to resume", result.stderr


def test_a_chinese_folder_with_spaces_installs_and_prints_on_a_legacy_windows_console(tmp_path, mirror):
    """A data folder such as ``C:\\Users\\李 明\\课程 data`` on a console that cannot print Chinese (cp1252)."""
    folder = tmp_path / "李 明" / "课程 data"
    env = dict(os.environ, COURSE_DATA_DIR=str(folder), KERAS_HOME=str(tmp_path / "keras home"),
               PYTHONIOENCODING="cp1252")
    for args in (["chelsea", "--mirror", str(mirror)], ["--list"]):
        result = subprocess.run([sys.executable, "data_download.py", *args], cwd=PROJECT_ROOT, capture_output=True,
                                timeout=120, env=env)
        assert b"Traceback" not in result.stderr, result.stderr.decode("cp1252")
        assert "course data folder: " in result.stdout.decode("cp1252") or args[0] == "chelsea"
    assert (folder / "images" / "chelsea.png").is_file()
    assert f"{tmp_path}/? ?/?? data".encode() in result.stdout  # printed, with ? for what cp1252 lacks
