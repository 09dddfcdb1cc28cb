"""The download path, against a real HTTP server on 127.0.0.1, the mirror copy, and archive safety."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import signal
import stat
import tracemalloc
import zipfile

import pytest
from local_http import Route

from helpers import assets, fetch
from helpers.assets import Asset, File, Unpack

BODY = bytes(range(256)) * 4096  # 1 MiB of known content
SHA = hashlib.sha256(BODY).hexdigest()


def file_asset(url: str, checksum: str | None = "sha256:" + SHA, check=None, **extra) -> Asset:
    return Asset("blob", "a test file", "none", ("00_test",), "data",
                 (File("downloads/blob.bin", "data", url, checksum, check=check, **extra),))


def installed_file(data_dir):
    return data_dir / "downloads" / "blob.bin"


def leftovers(data_dir):
    """Files in the downloads folder (temporary downloads are hidden names)."""
    if not (data_dir / "downloads").exists():
        return []
    return sorted(p.name for p in (data_dir / "downloads").glob("*"))


def test_good_file_is_downloaded_verified_and_renamed(isolated_dirs, http_server):
    data, _ = isolated_dirs
    route = http_server.routes["/blob.bin"] = Route(BODY)
    outcome = fetch.install_one(file_asset(http_server.url + "/blob.bin"))
    assert outcome.ok, outcome.message
    assert installed_file(data).read_bytes() == BODY
    assert leftovers(data) == ["blob.bin"]  # no temporary file left behind
    assert assets.state(file_asset("unused")).status == "installed"
    assert route.requests[0]["User-Agent"] == fetch.USER_AGENT
    assert assets.read_receipt(file_asset("unused")) == {"downloads/blob.bin": SHA}


def test_second_install_does_not_download_again(isolated_dirs, http_server):
    route = http_server.routes["/blob.bin"] = Route(BODY)
    asset = file_asset(http_server.url + "/blob.bin")
    assert fetch.install_one(asset).ok
    assert fetch.install_one(asset).message == "already installed"
    assert len(route.requests) == 1


def test_wrong_checksum_deletes_the_file_and_says_so(isolated_dirs, http_server):
    data, _ = isolated_dirs
    http_server.routes["/blob.bin"] = Route(BODY[:-1] + b"X")
    outcome = fetch.install_one(file_asset(http_server.url + "/blob.bin"))
    assert not outcome.ok
    assert "matches none of the checksums pinned" in outcome.message and "deleted" in outcome.message
    assert leftovers(data) == []


def test_body_cut_short_never_looks_complete(isolated_dirs, http_server):
    data, _ = isolated_dirs
    http_server.routes["/blob.bin"] = Route(BODY, cut_after=1000)
    outcome = fetch.install_one(file_asset(http_server.url + "/blob.bin"))
    assert not outcome.ok
    assert "broke off" in outcome.message and "run the same command again" in outcome.message
    assert not installed_file(data).exists() and leftovers(data) == []
    assert assets.state(file_asset("unused")).status == "missing"
    http_server.routes["/blob.bin"] = Route(BODY)
    assert fetch.install_one(file_asset(http_server.url + "/blob.bin")).ok  # the next run starts cleanly


def test_a_temporary_download_left_by_a_killed_run_is_removed(isolated_dirs, http_server):
    data, _ = isolated_dirs
    http_server.routes["/blob.bin"] = Route(BODY)
    (data / "downloads").mkdir(parents=True)
    (data / "downloads" / ".blob.bin.4242.download").write_bytes(BODY[:300_000])
    assert fetch.install_one(file_asset(http_server.url + "/blob.bin")).ok
    assert leftovers(data) == ["blob.bin"]


def test_404_is_reported_with_the_url(isolated_dirs, http_server):
    data, _ = isolated_dirs
    outcome = fetch.install_one(file_asset(http_server.url + "/missing.bin"))
    assert not outcome.ok
    assert "HTTP 404" in outcome.message and "/missing.bin" in outcome.message
    assert leftovers(data) == []


def test_unreachable_server_is_reported(isolated_dirs, closed_port_url):
    data, _ = isolated_dirs
    outcome = fetch.install_one(file_asset(closed_port_url + "/blob.bin"))
    assert not outcome.ok
    assert "cannot reach 127.0.0.1" in outcome.message and "Connection refused" in outcome.message
    assert "\n" not in outcome.message
    assert not installed_file(data).exists()


def must_start_with_magic(path):
    if not path.read_bytes().startswith(b"MAGIC"):
        raise ValueError("no magic header")


def test_file_without_published_hash_is_checked_by_loading(isolated_dirs, http_server):
    data, _ = isolated_dirs
    http_server.routes["/blob.bin"] = Route(b"not what we wanted")
    outcome = fetch.install_one(file_asset(http_server.url + "/blob.bin", None, must_start_with_magic))
    assert not outcome.ok and "does not load" in outcome.message and "no magic header" in outcome.message
    assert leftovers(data) == []
    http_server.routes["/blob.bin"] = Route(b"MAGIC and payload")
    assert fetch.install_one(file_asset(http_server.url + "/blob.bin", None, must_start_with_magic)).ok


def test_installed_or_not_is_decided_by_the_receipt_without_loading(isolated_dirs, http_server, monkeypatch):
    """The load-check runs once, at install time; afterwards the receipt's hash decides."""
    data, _ = isolated_dirs
    http_server.routes["/blob.bin"] = Route(b"MAGIC and payload")
    calls = []
    asset = file_asset(http_server.url + "/blob.bin", None, lambda p: calls.append(p) or must_start_with_magic(p))
    assert fetch.install_one(asset).ok and len(calls) == 1
    assert assets.state(asset).status == "installed" and len(calls) == 1
    installed_file(data).write_bytes(b"MAGIC but another file")  # it would still load: the receipt says no
    assert assets.state(asset) == assets.State("corrupt", "blob.bin: changed since installed")
    assets.receipt_path(asset).unlink()  # a file the course did not install (Keras downloaded it itself)
    assert assets.state(asset).status == "unchecked"
    route = http_server.routes["/blob.bin"]
    outcome = fetch.install_one(asset)
    assert outcome.message == "checked the files already there (they load): kept"
    assert len(route.requests) == 1  # checked once by loading, not downloaded again
    assert assets.state(asset).status == "installed"


def test_corrupted_installed_file_is_detected(isolated_dirs, http_server):
    data, _ = isolated_dirs
    http_server.routes["/blob.bin"] = Route(BODY)
    asset = file_asset(http_server.url + "/blob.bin")
    assert fetch.install_one(asset).ok
    installed_file(data).write_bytes(b"garbage")
    assert assets.state(asset).status == "corrupt"
    assert fetch.install_one(asset).ok  # a corrupt file is replaced, not trusted
    assert installed_file(data).read_bytes() == BODY


def test_a_converted_file_is_installed_and_an_interrupted_conversion_is_cleaned_up(isolated_dirs, http_server):
    data, _ = isolated_dirs
    http_server.routes["/blob.bin"] = Route(BODY)

    def upper(download, installed):
        installed.write_bytes(download.read_bytes().upper())

    asset = file_asset(http_server.url + "/blob.bin", convert=upper,
                       converted_sha256=hashlib.sha256(BODY.upper()).hexdigest())
    (data / "downloads").mkdir(parents=True)
    (data / "downloads" / ".blob.bin.4242.converted").write_bytes(b"half a conversion, Ctrl-C")
    assert fetch.install_one(asset).ok
    assert installed_file(data).read_bytes() == BODY.upper()
    assert leftovers(data) == ["blob.bin"]
    assert assets.state(asset).status == "installed"
    installed_file(data).write_bytes(BODY)  # the unconverted source is not the installed file
    assert assets.state(asset).status == "corrupt"


# ---------------------------------------------------------------- the mirror downloader
def one_file_mirror(tmp_path, content: bytes, pinned: bytes, monkeypatch, sums: str | None = None):
    """A mirror holding ``content`` where the course pins the sha256 and size of ``pinned``."""
    mirror = tmp_path / "mirror"
    (mirror / "images").mkdir(parents=True, exist_ok=True)
    (mirror / "images" / "cat.png").write_bytes(content)
    if sums is not None:
        (mirror / "SHA256SUMS").write_text(f"{sums}  ./images/cat.png\n")
    monkeypatch.setitem(assets.MIRROR_PINS, "images/cat.png", (hashlib.sha256(pinned).hexdigest(), len(pinned)))
    asset = Asset("cat", "a test photo", "none", (), "data",
                  (File("images/cat.png", "data", "https://example.invalid/cat.png", None, "images/cat.png"),))
    return mirror, asset


def test_a_mirror_file_is_copied_and_verified(isolated_dirs, tmp_path, monkeypatch):
    data, _ = isolated_dirs
    mirror, asset = one_file_mirror(tmp_path, BODY, BODY, monkeypatch)
    outcome = fetch.install_one(asset, mirror=mirror)
    assert outcome.ok and outcome.message == f"installed from the mirror {mirror}"
    assert (data / "images" / "cat.png").read_bytes() == BODY


def test_a_mirror_file_of_the_wrong_size_is_refused_before_it_is_copied(isolated_dirs, tmp_path, monkeypatch):
    data, _ = isolated_dirs
    mirror, asset = one_file_mirror(tmp_path, BODY * 8, BODY, monkeypatch)  # 8 MiB where 1 MiB is pinned
    copied = []
    monkeypatch.setattr(shutil, "copyfileobj", lambda *a, **k: copied.append(a))
    outcome = fetch.install_one(asset, mirror=mirror)
    assert not outcome.ok and "has 8388608 bytes, not the 1048576 pinned" in outcome.message
    assert copied == [] and not (data / "images" / "cat.png").exists()


def test_a_mirror_copy_must_match_its_pinned_checksum_even_when_it_loads(isolated_dirs, mirror):
    """Only a file from a source that publishes no checksum may be accepted by loading it: never a mirror's."""
    spec = assets.get("fashion-mnist").files[3]  # the test labels: small
    recompressed = gzip.compress(gzip.decompress((mirror / spec.mirror_path).read_bytes()), mtime=0)
    copy = isolated_dirs[0].parent / "recompressed-mirror"
    shutil.copytree(mirror / "keras" / "datasets", copy / "keras" / "datasets")
    (copy / spec.mirror_path).write_bytes(recompressed)
    spec.check(copy / spec.mirror_path)  # it loads ...
    outcome = fetch.install_one(assets.get("fashion-mnist"), mirror=copy)
    assert not outcome.ok and "matches none of the checksums pinned" in outcome.message  # ... and is refused


@pytest.mark.parametrize("listed, ok", [(SHA, True), ("0" * 64, False)])
def test_the_mirrors_own_sums_can_add_a_check_never_replace_one(isolated_dirs, tmp_path, monkeypatch, listed, ok):
    mirror, asset = one_file_mirror(tmp_path, BODY, BODY, monkeypatch, sums=listed)
    outcome = fetch.install_one(asset, mirror=mirror)
    assert outcome.ok == ok and (ok or "does not match the mirror's SHA256SUMS" in outcome.message)
    changed = BODY[:-1] + b"X"
    mirror, asset = one_file_mirror(tmp_path, changed, BODY, monkeypatch, sums=hashlib.sha256(changed).hexdigest())
    outcome = fetch.install_one(asset, mirror=mirror, force=True)  # listed in SHA256SUMS, but not pinned
    assert not outcome.ok


def test_a_destination_that_cannot_be_written_is_named_not_the_mirror(isolated_dirs, tmp_path, monkeypatch):
    data, _ = isolated_dirs
    mirror, asset = one_file_mirror(tmp_path, BODY, BODY, monkeypatch)
    data.mkdir(parents=True)
    (data / "images").write_text("a file where the images folder should be")
    outcome = fetch.install_one(asset, mirror=mirror)  # a failed outcome for this asset; the others still run
    assert not outcome.ok and str(data / "images") in outcome.message, outcome.message
    assert str(mirror) not in outcome.message and "\n" not in outcome.message
    (data / "images").unlink()
    (data / "images" / "cat.png").mkdir(parents=True)  # a folder where the photo goes
    outcome = fetch.install_one(asset, mirror=mirror)
    assert not outcome.ok and "is a folder where the course puts a file" in outcome.message, outcome.message


# ---------------------------------------------------------------- archives
def make_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, content in members.items():
            z.writestr(name, content)
    return buffer.getvalue()


def archive_asset(url: str, expected_files: int | None = None, body: bytes | None = None,
                  checksum: str | None = None) -> Asset:
    """A test archive whose checksum is pinned (``body``: the bytes the server sends)."""
    pinned = checksum or ("sha256:" + hashlib.sha256(body).hexdigest() if body is not None else None)
    return Asset("set", "a test archive", "none", (), "data", (File("downloads/set.zip", "data", url, pinned),),
                 Unpack("photo-set", "set/", "set/", expected_files=expected_files))


def test_archive_is_unpacked_atomically_with_a_receipt(isolated_dirs, http_server):
    data, _ = isolated_dirs
    body = make_zip({"set/a/1.txt": b"one", "set/b/2.txt": b"two", "other/x": b""})
    http_server.routes["/set.zip"] = Route(body)
    asset = archive_asset(http_server.url + "/set.zip", expected_files=2, body=body)
    outcome = fetch.install_one(asset)
    assert outcome.ok, outcome.message
    assert (data / "photo-set" / "a" / "1.txt").read_bytes() == b"one"
    assert sorted(assets.read_receipt(asset)) == ["photo-set/a/1.txt", "photo-set/b/2.txt"]
    assert not (data / "photo-set" / "x").exists()
    assert assets.state(asset).status == "installed"
    assert sorted(p.name for p in data.iterdir()) == [assets.COURSE_FOLDER, "photo-set"]  # no staging, no zip
    umask = os.umask(0)
    os.umask(umask)
    for folder in (data / "photo-set", data / "photo-set" / "a"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o777 & ~umask  # not mkdtemp's private 0700


def test_an_archive_lying_in_the_downloads_folder_is_never_unpacked_unverified(isolated_dirs, http_server):
    data, _ = isolated_dirs
    good = make_zip({"set/a.txt": b"the real photo"})
    http_server.routes["/set.zip"] = Route(good)
    (data / "downloads").mkdir(parents=True)
    (data / "downloads" / "set.zip").write_bytes(make_zip({"set/a.txt": b"planted"}))
    asset = archive_asset(http_server.url + "/set.zip", body=good, checksum="sha1:" + hashlib.sha1(good).hexdigest())
    assert fetch.install_one(asset).ok
    assert (data / "photo-set" / "a.txt").read_bytes() == b"the real photo"
    http_server.routes["/set.zip"] = Route(make_zip({"set/a.txt": b"served instead"}))
    outcome = fetch.install_one(asset, force=True)
    assert not outcome.ok and "matches none of the checksums pinned" in outcome.message
    assert (data / "photo-set" / "a.txt").read_bytes() == b"the real photo"


@pytest.mark.parametrize("evil", ["set/../../escaped.txt", "/tmp/absolute.txt", "set/a/../../../up.txt", "set/./ok.txt",
                                  "set/{tmp}/escaped.txt", "set\\..\\..\\escaped.txt"])
def test_archive_with_escaping_members_is_refused(isolated_dirs, http_server, tmp_path, evil):
    data, _ = isolated_dirs
    evil = evil.format(tmp=tmp_path)  # set//tmp/...: a member that a string join would make absolute
    body = make_zip({"set/ok.txt": b"fine", evil: b"gotcha"})
    http_server.routes["/set.zip"] = Route(body)
    outcome = fetch.install_one(archive_asset(http_server.url + "/set.zip", body=body))
    assert not outcome.ok
    assert "refusing archive" in outcome.message and repr(evil) in outcome.message
    assert not (data / "photo-set").exists()
    assert not list(tmp_path.rglob("escaped.txt")) and not (data / "escaped.txt").exists()
    assert not (data / "downloads" / "set.zip").exists()  # a refused archive is not kept for reuse


def test_a_double_slash_member_would_have_escaped_through_the_folder_join(tmp_path):
    """Why ``set//x`` is refused: its parts look harmless, but joined as a string it is an absolute path."""
    local = "set//tmp/x"[len("set/"):]
    assert (tmp_path / local).is_absolute() and not str(tmp_path / local).startswith(str(tmp_path))


@pytest.mark.parametrize("members", [{"set/a/1.txt": b"one"}, {f"set/{i}.txt": b"x" for i in range(5)}])
def test_archive_with_wrong_file_count_installs_nothing_and_writes_nothing(isolated_dirs, http_server,
                                                                            monkeypatch, members):
    data, _ = isolated_dirs
    body = make_zip(members)
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, *a, **k: opened.append(a) or real_open(self, *a, **k))
    http_server.routes["/set.zip"] = Route(body)
    outcome = fetch.install_one(archive_asset(http_server.url + "/set.zip", expected_files=2, body=body))
    assert not outcome.ok and "expected 2" in outcome.message
    assert not (data / "photo-set").exists()
    assert opened == []  # counted before a single member was unpacked


def zip_with_link(name: str, target: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("set/ok.txt", b"fine")
        info = zipfile.ZipInfo(name)
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(info, target)
    return buffer.getvalue()


@pytest.mark.parametrize("body, says", [
    (zip_with_link("set/link", "/etc/passwd"), "'set/link' would be written outside"),
    (make_zip({"set/ok.txt": b"fine", "C:/windows.txt": b"x"}), "'C:/windows.txt' would be written outside"),
    (make_zip({"set/ok.txt": b"fine", "D:relative.txt": b"x"}), "'D:relative.txt' would be written outside"),
    (make_zip({"set/a": b"a file", "set/a/1.txt": b"and a folder"}), "'a' appears twice, or as both a file and"),
    (b"this is not a zip file", "not a readable zip file"),
])
def test_malformed_archives_are_refused_with_a_message(isolated_dirs, http_server, body, says):
    data, _ = isolated_dirs
    http_server.routes["/set.zip"] = Route(body)
    outcome = fetch.install_one(archive_asset(http_server.url + "/set.zip", body=body))
    assert not outcome.ok and says in outcome.message, outcome.message
    assert "nothing was installed" in outcome.message
    assert not (data / "photo-set").exists()


def test_too_many_members_are_refused_before_unpacking(isolated_dirs, http_server, monkeypatch):
    data, _ = isolated_dirs
    monkeypatch.setattr(fetch, "MAX_MEMBERS", 10)
    body = make_zip({f"set/{i}.txt": b"x" for i in range(11)})
    http_server.routes["/set.zip"] = Route(body)
    outcome = fetch.install_one(archive_asset(http_server.url + "/set.zip", body=body))
    assert not outcome.ok and "11 members, more than the 10 allowed" in outcome.message
    assert not (data / "photo-set").exists()


def test_members_are_streamed_to_disk_within_a_size_limit(isolated_dirs, http_server, monkeypatch):
    data, _ = isolated_dirs
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("set/zeros.bin", bytes(40 << 20))  # 40 MB that compress to about 40 kB
    body = buffer.getvalue()
    http_server.routes["/set.zip"] = Route(body)
    tracemalloc.start()
    try:
        outcome = fetch.install_one(archive_asset(http_server.url + "/set.zip", expected_files=1, body=body))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert outcome.ok, outcome.message
    assert (data / "photo-set" / "zeros.bin").stat().st_size == 40 << 20
    assert peak < 8 << 20, f"unpacking held {peak / 1e6:.0f} MB in memory"
    monkeypatch.setattr(fetch, "MAX_MEMBER_BYTES", 1 << 20)
    outcome = fetch.install_one(archive_asset(http_server.url + "/set.zip", expected_files=1, body=body), force=True)
    assert not outcome.ok and "unpacks to 41943040 bytes" in outcome.message


def test_interrupted_unpack_is_reported_as_corrupt(isolated_dirs, http_server):
    data, _ = isolated_dirs
    (data / "photo-set" / "a").mkdir(parents=True)
    (data / "photo-set" / "a" / "1.txt").write_bytes(b"one")
    state = assets.state(archive_asset(http_server.url + "/set.zip"))
    assert state.status == "corrupt" and "never finished" in state.detail


# ---------------------------------------------------------------- learners' files, Ctrl-C, links
TWENTY = {f"set/{i}.txt": str(i).encode() for i in range(20)}


@pytest.fixture
def installed_set(isolated_dirs, http_server):
    body = make_zip(TWENTY)
    http_server.routes["/set.zip"] = Route(body)
    asset = archive_asset(http_server.url + "/set.zip", expected_files=20, body=body)
    assert fetch.install_one(asset).ok
    return asset


def test_force_twice_in_the_same_second_never_overwrites_set_aside_files(isolated_dirs, installed_set, monkeypatch):
    data, _ = isolated_dirs
    monkeypatch.setattr(fetch.time, "strftime", lambda *a: "20261202-120000")  # one clock second for both
    for content in (b"first lunch", b"second lunch"):
        (data / "photo-set" / "mine.jpg").write_bytes(content)
        outcome = fetch.install_one(installed_set, force=True)
        assert outcome.ok and "own file(s) were moved to" in outcome.message
    kept = sorted((p.parent.name, p.read_bytes()) for p in data.glob("photo-set-your-files-*/mine.jpg"))
    assert kept == [("photo-set-your-files-20261202-120000", b"first lunch"),
                    ("photo-set-your-files-20261202-120000-2", b"second lunch")]


def test_ctrl_c_during_the_swap_waits_until_the_swap_is_done(isolated_dirs, installed_set, monkeypatch):
    """Ctrl-C between the renames of the swap: the swap still completes, and nothing is left half done.

    The signal really arrives (``signal.raise_signal``) right after the old folder is renamed aside; without the
    deferral, the default handler would raise KeyboardInterrupt there and leave no ``photo-set`` at all.
    """
    data, _ = isolated_dirs
    (data / "photo-set" / "3.txt").write_bytes(b"damaged")
    real_rename = os.rename

    def rename_then_ctrl_c(source, target, *args, **kwargs):
        real_rename(source, target, *args, **kwargs)
        if ".old-" in str(target):
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(os, "rename", rename_then_ctrl_c)
    try:
        outcome = fetch.install_one(installed_set)
    except KeyboardInterrupt:
        pytest.fail(f"Ctrl-C broke into the swap: {sorted(p.name for p in data.iterdir())}")
    assert outcome.ok, outcome.message
    assert fetch._interrupted.is_set()  # remembered: install() stops before the next asset
    assert assets.state(installed_set).status == "installed"
    assert sorted(p.name for p in data.iterdir()) == [assets.COURSE_FOLDER, "photo-set"]  # no .old- folder


def test_install_finishes_the_asset_ctrl_c_arrived_in_and_stops_before_the_next(monkeypatch):
    done = []

    def install_one(asset, mirror, force):
        done.append(asset.name)
        fetch._interrupted.set()
        return fetch.Outcome(asset.name, True, "installed")

    monkeypatch.setattr(fetch, "install_one", install_one)
    with pytest.raises(KeyboardInterrupt):
        fetch.install(["chelsea", "coffee"], report=lambda line: None)
    assert done == ["chelsea"]
    assert [o.ok for o in fetch.install(["coffee"], report=lambda line: None)] == [True]  # the last one: no stop


def test_a_half_deleted_old_folder_is_removed_by_the_next_run(isolated_dirs, installed_set):
    data, _ = isolated_dirs
    (data / ".photo-set.old-4242" / "a").mkdir(parents=True)  # a run killed while it deleted the old folder
    (data / ".photo-set.staging-x").mkdir()
    assert fetch.install_one(installed_set).message == "already installed"
    assert sorted(p.name for p in data.iterdir()) == [assets.COURSE_FOLDER, "photo-set"]


def test_a_folder_linked_to_another_disk_stays_a_link_after_force(isolated_dirs, installed_set, tmp_path):
    data, _ = isolated_dirs
    other_disk = tmp_path / "other-disk" / "photo-set"
    other_disk.parent.mkdir()
    shutil.move(data / "photo-set", other_disk)
    (data / "photo-set").symlink_to(other_disk, target_is_directory=True)
    assert fetch.install_one(installed_set, force=True).ok
    assert (data / "photo-set").is_symlink() and (other_disk / "3.txt").read_bytes() == b"3"
    assert assets.state(installed_set).status == "installed"


def test_a_repair_that_fails_half_way_keeps_the_learners_files(isolated_dirs, installed_set, monkeypatch):
    """The learner's files go into the new folder one by one; if a later one cannot, the folder stays as it was
    with all of them: a failed repair never deletes them with the staging folder."""
    data, _ = isolated_dirs
    for name in ("a_mine.jpg", "b_mine.jpg", "c_stuck.jpg"):
        (data / "photo-set" / name).write_bytes(name.encode())
    (data / "photo-set" / "3.txt").write_bytes(b"damaged")
    real_copy = shutil.copy2

    def stuck(source, target, *args, **kwargs):
        if str(source).endswith("c_stuck.jpg") and "staging" in str(target):
            raise PermissionError(1, "Operation not permitted", str(source))
        return real_copy(source, target, *args, **kwargs)

    monkeypatch.setattr(shutil, "copy2", stuck)
    outcome = fetch.install_one(installed_set)
    assert not outcome.ok and "Operation not permitted" in outcome.message and "was left as it was" in outcome.message
    assert sorted(p.name for p in (data / "photo-set").glob("*.jpg")) == ["a_mine.jpg", "b_mine.jpg", "c_stuck.jpg"]
    assert (data / "photo-set" / "a_mine.jpg").read_bytes() == b"a_mine.jpg"
    assert sorted(p.name for p in data.iterdir()) == [assets.COURSE_FOLDER, "photo-set"]  # no staging left
    monkeypatch.setattr(shutil, "copy2", real_copy)
    outcome = fetch.install_one(installed_set)
    assert outcome.ok and "your 3 own file(s) were kept" in outcome.message, outcome.message


def test_a_swap_that_fails_half_way_puts_the_old_folder_back(isolated_dirs, installed_set, monkeypatch):
    data, _ = isolated_dirs
    (data / "photo-set" / "mine.jpg").write_bytes(b"mine")
    real_rename = os.rename

    def stuck(source, target, *args, **kwargs):
        if ".staging-" in str(source):
            raise PermissionError(13, "Permission denied", str(target))
        return real_rename(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "rename", stuck)
    outcome = fetch.install_one(installed_set, force=True)
    assert not outcome.ok and "was left as it was" in outcome.message
    assert (data / "photo-set" / "mine.jpg").read_bytes() == b"mine" and (data / "photo-set" / "3.txt").is_file()


def test_a_receipt_never_leads_outside_the_folder_or_crashes(isolated_dirs, installed_set, tmp_path):
    data, _ = isolated_dirs
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"x")
    receipt = assets.receipt_path(installed_set)
    receipt.write_text(json.dumps({"files": {"photo-set/../../outside.txt": hashlib.sha256(b"x").hexdigest(),
                                             "stray": "0" * 64}}))
    assert assets.read_receipt(installed_set) == {}
    receipt.write_text("[" * 200_000 + "]" * 200_000)
    assert assets.read_receipt(installed_set) == {}
    assert fetch.install_one(installed_set, force=True).ok


def test_a_loop_of_links_is_one_line_not_a_traceback(isolated_dirs, installed_set):
    data, _ = isolated_dirs
    shutil.rmtree(data / "photo-set")
    (data / "photo-set").symlink_to(data / "photo-set")
    outcome = fetch.install_one(installed_set)
    assert not outcome.ok and "is a link that leads nowhere" in outcome.message, outcome.message


def test_an_empty_mirror_name_is_refused_not_taken_for_this_folder():
    with pytest.raises(fetch.FetchError, match="empty folder name"):
        fetch.mirror_folder("")
