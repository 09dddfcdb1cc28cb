"""The download path, against a real HTTP server on 127.0.0.1, and archive safety."""

from __future__ import annotations

import hashlib
import io
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
    return sorted(p.name for p in (data_dir / "downloads").glob("*")) if (data_dir / "downloads").exists() else []


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
    assert leftovers(data) == ["blob.bin.part"]
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
    (data / "downloads" / "blob.bin.part").write_bytes(b"x" * (len(BODY) + 10))
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


def archive_asset(url: str, expected_files: int | None = None) -> Asset:
    spec = FileSpec("downloads/set.zip", "data", (url,), None, validate=None)
    return Asset("set", "a test archive", "none", (), archive=ArchiveSpec(
        spec, extract_to="photo-set", online_prefix="set/", mirror_prefix="set/", expected_files=expected_files))


def test_archive_is_unpacked_atomically_with_a_receipt(isolated_dirs, http_server):
    data, _ = isolated_dirs
    http_server.routes["/set.zip"] = Route(make_zip({"set/a/1.txt": b"one", "set/b/2.txt": b"two", "other/x": b""}))
    asset = archive_asset(http_server.url + "/set.zip", expected_files=2)
    outcome = fetch.install_one(asset)
    assert outcome.ok, outcome.message
    assert (data / "photo-set" / "a" / "1.txt").read_bytes() == b"one"
    assert (data / "photo-set" / fetch.RECEIPT).is_file()
    assert not (data / "photo-set" / "x").exists()
    assert fetch.state(asset).status == "installed"
    assert sorted(p.name for p in data.iterdir()) == ["downloads", "photo-set"]  # no staging folders left


@pytest.mark.parametrize("evil", ["set/../../escaped.txt", "/tmp/absolute.txt", "set/a/../../../up.txt"])
def test_archive_with_escaping_members_is_refused(isolated_dirs, http_server, tmp_path, evil):
    data, _ = isolated_dirs
    http_server.routes["/set.zip"] = Route(make_zip({"set/ok.txt": b"fine", evil: b"gotcha"}))
    outcome = fetch.install_one(archive_asset(http_server.url + "/set.zip"))
    assert not outcome.ok
    assert "refusing archive" in outcome.message and evil in outcome.message
    assert not (data / "photo-set").exists()
    assert not (tmp_path / "escaped.txt").exists() and not (data / "escaped.txt").exists()
    assert not (data / "downloads" / "set.zip").exists()  # a refused archive is not kept for reuse


def test_archive_with_wrong_file_count_installs_nothing(isolated_dirs, http_server):
    data, _ = isolated_dirs
    http_server.routes["/set.zip"] = Route(make_zip({"set/a/1.txt": b"one"}))
    outcome = fetch.install_one(archive_asset(http_server.url + "/set.zip", expected_files=2))
    assert not outcome.ok and "expected 2" in outcome.message
    assert not (data / "photo-set").exists()


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
