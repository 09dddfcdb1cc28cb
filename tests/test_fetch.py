"""The download path, against a real HTTP server on 127.0.0.1, and archive safety."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import stat
import tracemalloc
import zipfile

import pytest
from conftest import Route

from helpers import fetch
from helpers.assets import ArchiveSpec, Asset, FileSpec

BODY = bytes(range(256)) * 4096  # 1 MiB of known content
SHA = hashlib.sha256(BODY).hexdigest()


def file_asset(url: str, checksum: str | None = "sha256:" + SHA, validate=None) -> Asset:
    spec = FileSpec("downloads/blob.bin", "data", (url,), checksum, validate=validate)
    return Asset("blob", "a test file", "none", ("00_test",), files=(spec,))


def installed_file(data_dir):
    return data_dir / "downloads" / "blob.bin"


def leftovers(data_dir):
    """Files in the downloads folder, with this process's id in a .part name written as PID."""
    if not (data_dir / "downloads").exists():
        return []
    return sorted(p.name.replace(f".{os.getpid()}.", ".PID.") for p in (data_dir / "downloads").glob("*"))


def test_good_file_is_downloaded_verified_and_renamed(isolated_dirs, http_server):
    data, _ = isolated_dirs
    http_server.routes["/blob.bin"] = Route(BODY)
    outcome = fetch.install_one(file_asset(http_server.url + "/blob.bin"))
    assert outcome.ok, outcome.message
    assert installed_file(data).read_bytes() == BODY
    assert leftovers(data) == ["blob.bin"]  # no .part left behind
    assert fetch.state(file_asset("unused")).status == "installed"


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
    assert "checksum mismatch" in outcome.message and "deleted" in outcome.message
    assert leftovers(data) == []


def test_body_cut_short_never_looks_complete(isolated_dirs, http_server):
    data, _ = isolated_dirs
    http_server.routes["/blob.bin"] = Route(BODY, cut_after=1000)
    outcome = fetch.install_one(file_asset(http_server.url + "/blob.bin"))
    assert not outcome.ok
    assert "run the same command again to resume" in outcome.message
    assert not installed_file(data).exists()
    assert leftovers(data) == ["blob.bin.PID.part"]  # one per process: two installers never share one
    assert fetch.state(file_asset("unused")).status == "missing"


def test_interrupted_download_resumes_with_a_range_request(isolated_dirs, http_server):
    data, _ = isolated_dirs
    route = http_server.routes["/blob.bin"] = Route(BODY, cut_after=300_000, cut_first_only=True)
    asset = file_asset(http_server.url + "/blob.bin")
    assert not fetch.install_one(asset).ok
    outcome = fetch.install_one(asset)
    assert outcome.ok, outcome.message
    assert route.requests[1]["Range"] == "bytes=300000-"
    assert installed_file(data).read_bytes() == BODY
    assert leftovers(data) == ["blob.bin"]


def test_server_without_range_support_restarts_cleanly(isolated_dirs, http_server):
    data, _ = isolated_dirs
    http_server.routes["/blob.bin"] = Route(BODY, cut_after=300_000, cut_first_only=True, ranges=False)
    asset = file_asset(http_server.url + "/blob.bin")
    assert not fetch.install_one(asset).ok
    assert fetch.install_one(asset).ok
    assert installed_file(data).read_bytes() == BODY


def test_stale_partial_file_longer_than_the_source_restarts(isolated_dirs, http_server):
    data, _ = isolated_dirs
    http_server.routes["/blob.bin"] = Route(BODY)
    (data / "downloads").mkdir(parents=True)
    (data / "downloads" / "blob.bin.part").write_bytes(b"x" * (len(BODY) + 10))  # an older course's name
    assert fetch.install_one(file_asset(http_server.url + "/blob.bin")).ok
    assert installed_file(data).read_bytes() == BODY


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
    assert "cannot reach 127.0.0.1" in outcome.message
    assert not installed_file(data).exists()


def test_next_url_is_tried_when_the_first_fails(isolated_dirs, http_server):
    http_server.routes["/blob.bin"] = Route(BODY)
    spec = FileSpec("downloads/blob.bin", "data", (http_server.url + "/gone.bin", http_server.url + "/blob.bin"),
                    "sha256:" + SHA)
    assert fetch.install_one(Asset("blob", "t", "none", (), files=(spec,))).ok


def test_file_without_published_hash_is_checked_by_loading(isolated_dirs, http_server):
    data, _ = isolated_dirs
    http_server.routes["/blob.bin"] = Route(b"not what we wanted")

    def must_start_with_magic(path):
        if not path.read_bytes().startswith(b"MAGIC"):
            raise ValueError("no magic header")

    outcome = fetch.install_one(file_asset(http_server.url + "/blob.bin", None, must_start_with_magic))
    assert not outcome.ok and "does not load" in outcome.message and "no magic header" in outcome.message
    assert leftovers(data) == []
    http_server.routes["/blob.bin"] = Route(b"MAGIC and payload")
    assert fetch.install_one(file_asset(http_server.url + "/blob.bin", None, must_start_with_magic)).ok


def test_corrupted_installed_file_is_detected(isolated_dirs, http_server):
    data, _ = isolated_dirs
    http_server.routes["/blob.bin"] = Route(BODY)
    asset = file_asset(http_server.url + "/blob.bin")
    assert fetch.install_one(asset).ok
    installed_file(data).write_bytes(b"garbage")
    assert fetch.state(asset).status == "corrupt"
    assert fetch.install_one(asset).ok  # a corrupt file is replaced, not trusted
    assert installed_file(data).read_bytes() == BODY


# ---------------------------------------------------------------- archives
def make_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, content in members.items():
            z.writestr(name, content)
    return buffer.getvalue()


def archive_asset(url: str, expected_files: int | None = None, body: bytes | None = None) -> Asset:
    """A test archive whose checksum is pinned (``body``: the bytes the server sends)."""
    pinned = "sha256:" + hashlib.sha256(body).hexdigest() if body is not None else None
    spec = FileSpec("downloads/set.zip", "data", (url,), pinned)
    return Asset("set", "a test archive", "none", (), archive=ArchiveSpec(
        spec, extract_to="photo-set", online_prefix="set/", mirror_prefix="set/", expected_files=expected_files))


def test_archive_is_unpacked_atomically_with_a_receipt(isolated_dirs, http_server):
    data, _ = isolated_dirs
    body = make_zip({"set/a/1.txt": b"one", "set/b/2.txt": b"two", "other/x": b""})
    http_server.routes["/set.zip"] = Route(body)
    asset = archive_asset(http_server.url + "/set.zip", expected_files=2, body=body)
    outcome = fetch.install_one(asset)
    assert outcome.ok, outcome.message
    assert (data / "photo-set" / "a" / "1.txt").read_bytes() == b"one"
    assert (data / "photo-set" / fetch.RECEIPT).is_file()
    assert not (data / "photo-set" / "x").exists()
    assert fetch.state(asset).status == "installed"
    assert sorted(p.name for p in data.iterdir()) == [fetch.LOCK, "downloads", "photo-set"]  # no staging left
    umask = os.umask(0)
    os.umask(umask)
    for folder in (data / "photo-set", data / "photo-set" / "a"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o777 & ~umask  # not mkdtemp's private 0700


@pytest.mark.parametrize("evil", ["set/../../escaped.txt", "/tmp/absolute.txt", "set/a/../../../up.txt"])
def test_archive_with_escaping_members_is_refused(isolated_dirs, http_server, tmp_path, evil):
    data, _ = isolated_dirs
    body = make_zip({"set/ok.txt": b"fine", evil: b"gotcha"})
    http_server.routes["/set.zip"] = Route(body)
    outcome = fetch.install_one(archive_asset(http_server.url + "/set.zip", body=body))
    assert not outcome.ok
    assert "refusing archive" in outcome.message and evil in outcome.message
    assert not (data / "photo-set").exists()
    assert not (tmp_path / "escaped.txt").exists() and not (data / "escaped.txt").exists()
    assert not (data / "downloads" / "set.zip").exists()  # a refused archive is not kept for reuse


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


def test_an_interrupted_swap_never_leaves_a_half_folder(isolated_dirs, http_server, monkeypatch):
    """Ctrl-C while the old folder is being removed: the new folder is already complete."""
    data, _ = isolated_dirs
    members = {f"set/{i}.txt": str(i).encode() for i in range(20)}
    body = make_zip(members)
    http_server.routes["/set.zip"] = Route(body)
    asset = archive_asset(http_server.url + "/set.zip", expected_files=20, body=body)
    assert fetch.install_one(asset).ok
    (data / "photo-set" / "3.txt").write_bytes(b"damaged")
    assert fetch.state(asset).status == "corrupt"
    real_rmtree = shutil.rmtree

    def interrupted_rmtree(path, *args, **kwargs):
        if "photo-set" in str(path) and "staging" not in str(path):
            os.unlink(sorted(os.scandir(path), key=lambda e: e.name)[-1].path)  # half way through ...
            raise KeyboardInterrupt  # ... the learner presses Ctrl-C
        return real_rmtree(path, *args, **kwargs)

    with monkeypatch.context() as patched, pytest.raises(KeyboardInterrupt):
        patched.setattr(shutil, "rmtree", interrupted_rmtree)
        fetch.install_one(asset)
    assert fetch.state(asset).status == "installed"
    assert len(list((data / "photo-set").glob("*.txt"))) == 20


def test_stale_part_of_another_process_is_resumed(isolated_dirs, http_server):
    data, _ = isolated_dirs
    route = http_server.routes["/blob.bin"] = Route(BODY)
    (data / "downloads").mkdir(parents=True)
    (data / "downloads" / "blob.bin.4242.part").write_bytes(BODY[:300_000])  # left by a run that was killed
    assert fetch.install_one(file_asset(http_server.url + "/blob.bin")).ok
    assert route.requests[0]["Range"] == "bytes=300000-"
    assert leftovers(data) == ["blob.bin"]


def test_interrupted_unpack_is_reported_as_corrupt(isolated_dirs, http_server):
    data, _ = isolated_dirs
    (data / "photo-set" / "a").mkdir(parents=True)
    (data / "photo-set" / "a" / "1.txt").write_bytes(b"one")
    state = fetch.state(archive_asset(http_server.url + "/set.zip"))
    assert state.status == "corrupt" and "never finished" in state.detail


def test_progress_reports_quarters_when_not_a_terminal():
    stream = io.StringIO()
    progress = fetch.Progress("blob.bin", 1000, stream=stream)
    for done in range(0, 1001, 100):
        progress.update(done)
    progress.close()
    lines = stream.getvalue().splitlines()
    assert [line.split(": ")[1].split()[0] for line in lines] == ["0%", "30%", "50%", "80%", "100%"]


def test_a_converted_file_is_installed_and_an_interrupted_conversion_is_cleaned_up(isolated_dirs, http_server):
    data, _ = isolated_dirs
    http_server.routes["/blob.bin"] = Route(BODY)
    spec = FileSpec("downloads/blob.bin", "data", (http_server.url + "/blob.bin",), "sha256:" + SHA,
                    convert=bytes.upper, installed_sha256=hashlib.sha256(BODY.upper()).hexdigest())
    asset = Asset("blob", "a converted file", "none", (), files=(spec,))
    (data / "downloads").mkdir(parents=True)
    (data / "downloads" / "blob.bin.4242.part.converted").write_bytes(b"half a conversion, Ctrl-C")
    assert fetch.install_one(asset).ok
    assert installed_file(data).read_bytes() == BODY.upper()
    assert leftovers(data) == ["blob.bin"]
    assert fetch.state(asset).status == "installed"
    installed_file(data).write_bytes(BODY)  # the unconverted source is not the installed file
    assert fetch.state(asset).status == "corrupt"
