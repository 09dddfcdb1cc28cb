"""Install the course's assets: download or copy, verify, unpack.

Why not ``keras.utils.get_file``?  The course needs what it lacks: copying from
a classroom mirror, resuming an interrupted download, SHA-1 (d2l) and per-photo
checksums, and per-file checks before an archive is trusted.  The files still
land exactly where Keras' own ``get_file`` looks (``$KERAS_HOME/...``), so the
stock Keras APIs use them without a download.

Guarantees:

* a file is written as ``<name>.part`` and renamed only once complete and
  verified, so a half file never looks finished;
* an interrupted download keeps its ``.part`` and the next run resumes it with
  an HTTP ``Range`` request (or restarts if the server does not support it);
* a file that fails its checksum is deleted, and the error says so;
* an archive is unpacked into a temporary folder and moved into place only when
  every member checked out; members that would land outside it are refused.

Example::

    >>> from helpers import fetch
    >>> fetch.install(["chelsea"], mirror="../shared/mirror")   # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from helpers import assets as registry
from helpers import paths
from helpers.assets import Asset, FileSpec

USER_AGENT = "augment-finetune-course/1.0 (+data_download.py)"
CHUNK = 1 << 16
RECEIPT = ".installed.json"


class FetchError(Exception):
    """A problem the learner can act on; the message says what to do."""


# ---------------------------------------------------------------- checksums
def file_hash(path: Path, algorithm: str = "sha256") -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def matches(path: Path, checksum: str) -> bool:
    """True if ``path`` has ``checksum`` (``"algo:hex"``)."""
    algorithm, expected = checksum.split(":", 1)
    return file_hash(path, algorithm) == expected.lower()


def read_sha256sums(mirror: Path) -> dict[str, str]:
    """Parse a mirror's ``SHA256SUMS`` (``<sha256>  ./relative/path`` per line)."""
    sums_file = mirror / "SHA256SUMS"
    if not sums_file.is_file():
        return {}
    table = {}
    for line in sums_file.read_text().splitlines():
        if line.strip():
            sha, name = line.split(maxsplit=1)
            table[str(PurePosixPath(name.strip().lstrip("*")))] = sha.lower()
    return table


# ---------------------------------------------------------------- state
def target_path(spec: FileSpec) -> Path:
    return paths.root(spec.root) / spec.target


def _file_problem(spec: FileSpec, path: Path) -> str | None:
    """None if ``path`` is a good copy of ``spec``, else what is wrong with it."""
    known = [h for h in (spec.online_hash, spec.mirror_sha256 and "sha256:" + spec.mirror_sha256) if h]
    if any(matches(path, h) for h in known):
        return None
    if spec.online_hash is None and spec.validate is not None:
        # The public source publishes no hash: a file that loads is a good file.
        try:
            spec.validate(path)
            return None
        except ValueError as err:
            return str(err)
    return "checksum does not match any known copy"


@dataclass
class State:
    status: str  # "installed", "missing" or "corrupt"
    detail: str = ""


def state(asset: Asset) -> State:
    """Whether ``asset`` is installed and intact (this reads and hashes its files)."""
    if asset.archive:
        return _archive_state(asset)
    missing, corrupt = [], []
    for spec in asset.files:
        path = target_path(spec)
        if not path.is_file():
            missing.append(path.name)
        elif (problem := _file_problem(spec, path)) is not None:
            corrupt.append(f"{path.name}: {problem}")
    if corrupt:
        return State("corrupt", "; ".join(corrupt))
    if missing:
        return State("missing", ", ".join(missing) if len(missing) < len(asset.files) else "")
    return State("installed")


def _archive_state(asset: Asset) -> State:
    spec = asset.archive
    folder = paths.data_dir() / spec.extract_to
    if not folder.is_dir():
        return State("missing")
    if not (folder / RECEIPT).is_file():
        return State("corrupt", "unpacking never finished: run the download again")
    expected = registry.member_checksums(asset)
    if expected:
        bad = [p for p, (sha, _) in expected.items()
               if not (folder / p).is_file() or file_hash(folder / p) != sha]
        if bad:
            return State("corrupt", f"{len(bad)} of {len(expected)} photos missing or changed, e.g. {bad[0]}")
    count = sum(1 for p in folder.rglob("*") if p.is_file() and p.name != RECEIPT)
    if spec.expected_files and count != spec.expected_files:
        return State("corrupt", f"{count} files, expected {spec.expected_files}")
    return State("installed")


# ---------------------------------------------------------------- progress
class Progress:
    """A one-line progress bar on stderr (a line per quarter when not a terminal)."""

    def __init__(self, label: str, total: int | None, stream=None):
        self.label, self.total, self.done = label, total, 0
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last_quarter = -1

    def update(self, done: int) -> None:
        self.done = done
        if self.total:
            fraction = min(done / self.total, 1.0)
            if self.tty:
                bar = "#" * int(fraction * 30)
                self.stream.write(f"\r  {self.label}  [{bar:<30}] {fraction:4.0%}  "
                                  f"{done / 1e6:.1f}/{self.total / 1e6:.1f} MB")
                self.stream.flush()
            elif int(fraction * 4) > self._last_quarter:
                self._last_quarter = int(fraction * 4)
                print(f"  {self.label}: {fraction:.0%} of {self.total / 1e6:.1f} MB", file=self.stream)
        elif self.tty:
            self.stream.write(f"\r  {self.label}  {done / 1e6:.1f} MB")

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")


# ---------------------------------------------------------------- download
def _part(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def download(url: str, dest: Path, label: str | None = None, timeout: float = 30.0) -> Path:
    """Download ``url`` to ``dest.part``, resuming a previous partial download.

    Returns the ``.part`` path, complete but not yet verified (the caller
    verifies, then renames).  On an interruption the ``.part`` stays for the
    next run and :class:`FetchError` is raised.
    """
    part = _part(dest)
    part.parent.mkdir(parents=True, exist_ok=True)
    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": USER_AGENT}
    if have:
        headers["Range"] = f"bytes={have}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416 and have:  # our partial file is not a prefix the server recognises
            part.unlink()
            return download(url, dest, label, timeout)
        raise FetchError(f"{url} answered HTTP {err.code} ({err.reason}).") from err
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise FetchError(f"cannot reach {urllib.request.urlparse(url).netloc} ({reason}).") from err
    with response:
        resumed = response.status == 206
        if have and not resumed:
            have = 0  # the server ignored Range: start again
        length = response.headers.get("Content-Length")
        total = have + int(length) if length is not None else None
        progress = Progress(label or dest.name, total)
        done = have
        try:
            with open(part, "ab" if resumed else "wb") as out:
                while block := response.read(CHUNK):
                    out.write(block)
                    done += len(block)
                    progress.update(done)
        except (OSError, urllib.error.URLError, ConnectionError) as err:
            raise FetchError(f"download of {dest.name} was interrupted after {done} bytes ({err}); "
                             "run the same command again to resume it.") from err
        finally:
            progress.close()
    if total is not None and part.stat().st_size != total:
        raise FetchError(f"download of {dest.name} stopped at {part.stat().st_size} of {total} bytes; "
                         "run the same command again to resume it.")
    return part


def _verify_or_delete(part: Path, checksum: str | None, validate: Callable[[Path], None] | None,
                      what: str) -> None:
    """Check a finished ``.part``; delete it (and say so) if it is bad."""
    if checksum:
        algorithm, expected = checksum.split(":", 1)
        actual = file_hash(part, algorithm)
        if actual != expected.lower():
            part.unlink()
            raise FetchError(f"{what}: {algorithm} checksum mismatch (expected {expected}, got {actual}). "
                             "The bad file was deleted; try again, or use a course mirror (--mirror DIR).")
    elif validate is not None:
        try:
            validate(part)
        except ValueError as err:
            part.unlink()
            raise FetchError(f"{what}: the file does not load ({err}). The bad file was deleted.") from err


def _fetch_online(spec: FileSpec, dest: Path) -> None:
    errors = []
    for url in spec.urls:
        try:
            part = download(url, dest)
        except FetchError as err:
            errors.append(str(err))
            continue
        _verify_or_delete(part, spec.online_hash, spec.validate, f"{dest.name} from {url}")
        os.replace(part, dest)
        return
    raise FetchError(" ".join(errors))


def _mirror_file(spec: FileSpec, mirror: Path) -> tuple[Path, str | None]:
    """The mirror's copy of ``spec`` and the sha256 to check it against."""
    if spec.mirror_path is None or not (mirror / spec.mirror_path).is_file():
        raise FetchError(f"{Path(spec.target).name} is not in the mirror {mirror} "
                         "(it is only available online).")
    sums = read_sha256sums(mirror)
    sha = sums.get(spec.mirror_path) or spec.mirror_sha256
    return mirror / spec.mirror_path, sha


def _copy_from_mirror(spec: FileSpec, mirror: Path, dest: Path) -> None:
    source, sha = _mirror_file(spec, mirror)
    part = _part(dest)
    part.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, part)
    _verify_or_delete(part, sha and "sha256:" + sha, spec.validate, f"{dest.name} from the mirror")
    os.replace(part, dest)


# ---------------------------------------------------------------- archives
def safe_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """All members, after refusing any whose path would escape the target folder."""
    for info in archive.infolist():
        name = PurePosixPath(info.filename.replace("\\", "/"))
        is_link = (info.external_attr >> 16) & 0o170000 == 0o120000
        if name.is_absolute() or ".." in name.parts or (name.parts and ":" in name.parts[0]) or is_link:
            raise FetchError(f"refusing archive {Path(archive.filename or '').name}: member "
                             f"{info.filename!r} would be written outside the target folder.")
    return archive.infolist()


def unpack(zip_path: Path, asset: Asset, prefix: str) -> int:
    """Unpack ``zip_path`` into ``<data>/<extract_to>`` atomically; return the file count."""
    spec = asset.archive
    target = paths.data_dir() / spec.extract_to
    expected = registry.member_checksums(asset)
    # The public archive keeps the source's paths, the mirror's zip the course's: accept either name.
    listed = {}
    for local, (sha, source_path) in expected.items():
        listed[prefix + source_path] = listed[prefix + local] = (local, sha)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{spec.extract_to}-", dir=target.parent))
    try:
        count = 0
        with zipfile.ZipFile(zip_path) as archive:
            for info in safe_members(archive):
                if info.is_dir() or not info.filename.startswith(prefix):
                    continue
                if expected:
                    if info.filename not in listed:
                        continue  # not one of the listed photos
                    local, sha = listed[info.filename]
                else:
                    local, sha = info.filename[len(prefix):], None
                data = archive.read(info)
                if sha is not None and hashlib.sha256(data).hexdigest() != sha:
                    raise FetchError(f"{asset.name}: photo {local} does not match its checksum; "
                                     "nothing was installed.")
                out = staging / local
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(data)
                count += 1
        wanted = len(expected) or spec.expected_files
        if wanted and count != wanted:
            raise FetchError(f"{asset.name}: the archive gave {count} files, expected {wanted}; nothing was installed.")
        (staging / RECEIPT).write_text(json.dumps({"asset": asset.name, "files": count,
                                                   "archive_sha256": file_hash(zip_path)}, indent=1))
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
        return count
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _install_archive(asset: Asset, mirror: Path | None) -> None:
    spec = asset.archive
    if mirror is not None:
        source, sha = _mirror_file(spec.archive, mirror)
        if sha and file_hash(source) != sha:
            raise FetchError(f"the mirror's {source.name} does not match its checksum: the mirror is damaged.")
        unpack(source, asset, spec.mirror_prefix)
        return
    zip_path = target_path(spec.archive)
    if not zip_path.is_file():
        _fetch_online(spec.archive, zip_path)
    try:
        unpack(zip_path, asset, spec.online_prefix)
    except (zipfile.BadZipFile, FetchError):
        zip_path.unlink(missing_ok=True)  # a bad archive must not be reused on the next run
        raise
    zip_path.unlink()  # unpacked and verified: the zip is no longer needed


# ---------------------------------------------------------------- install
@dataclass
class Outcome:
    asset: str
    ok: bool
    message: str


def install_one(asset: Asset, mirror: str | Path | None = None, force: bool = False) -> Outcome:
    """Install one asset from the internet (``mirror=None``) or a mirror folder."""
    mirror = Path(mirror).expanduser().resolve() if mirror else None
    if mirror is not None and not mirror.is_dir():
        raise FetchError(f"mirror folder {mirror} does not exist.")
    try:
        if asset.archive:
            if not force and state(asset).status == "installed":
                return Outcome(asset.name, True, "already installed")
            _install_archive(asset, mirror)
        else:
            # Each file is checked once: good ones are kept, missing or bad ones fetched.
            wanted = [spec for spec in asset.files if force or not target_path(spec).is_file()
                      or _file_problem(spec, target_path(spec)) is not None]
            if not wanted:
                return Outcome(asset.name, True, "already installed")
            for spec in wanted:
                dest = target_path(spec)
                dest.parent.mkdir(parents=True, exist_ok=True)
                if mirror is not None:
                    _copy_from_mirror(spec, mirror, dest)
                else:
                    _fetch_online(spec, dest)
    except FetchError as err:
        return Outcome(asset.name, False, str(err))
    source = f"mirror {mirror}" if mirror else "internet"
    return Outcome(asset.name, True, f"installed from the {source}")


def install(names: Iterable[str], mirror: str | Path | None = None, force: bool = False,
            report: Callable[[str], None] = print) -> list[Outcome]:
    """Install several assets, reporting each; never stops at the first failure."""
    outcomes = []
    for name in names:
        asset = registry.get(name)
        report(f"{asset.name}: {asset.title}")
        outcome = install_one(asset, mirror, force)
        report(f"  {'ok' if outcome.ok else 'FAILED'}: {outcome.message}")
        outcomes.append(outcome)
    return outcomes
