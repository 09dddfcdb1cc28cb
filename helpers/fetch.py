"""Install the course's assets: download or copy, verify, unpack.

Everything here is plumbing for ``data_download.py`` (and so for ``./course.sh``, whose
setup runs it); no notebook calls it.  ``data_download.py`` uses :func:`install`,
:func:`mirror_folder`, :class:`FetchError` and :func:`os_error_message`; the other
public functions are the steps of :func:`install_one`.

Why not ``keras.utils.get_file``?  The course needs what it lacks: copying from
a classroom mirror, resuming an interrupted download, SHA-1 (d2l) and per-photo
checksums, and per-file checks before an archive is trusted.  The files still
land exactly where Keras' own ``get_file`` looks (``$KERAS_HOME/...``), so the
stock Keras APIs use them without a download.

Guarantees:

* the checksums pinned in :mod:`helpers.assets` decide what is accepted; a
  mirror's ``SHA256SUMS`` is an extra check, never a replacement;
* one install at a time per folder (a lock file), so two installers started
  together wait for each other instead of breaking each other's files;
* a file is written as ``<name>.<process id>.part`` and renamed only once
  complete and verified, so a half file never looks finished; an interrupted
  download is resumed with an HTTP ``Range`` request on the next run;
* an archive is unpacked member by member (streamed, with size and count
  limits) into a hidden folder, and swapped in atomically; files a learner
  added to the old folder are carried over (or, with ``force``, moved aside),
  never deleted.

Example::

    >>> from helpers import fetch
    >>> fetch.install(["chelsea"], mirror="../shared/mirror")   # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from helpers import assets as registry
from helpers import paths
from helpers.assets import RECEIPT, Asset, FileSpec, file_hash, matches, state, target_path  # noqa: F401

USER_AGENT = "augment-finetune-course/1.0 (+data_download.py)"
CHUNK = 1 << 16
LOCK = ".course-install.lock"
MAX_MEMBERS = 20_000  # entries in one archive (d2l's hot-dog set has 2,800 photos)
MAX_MEMBER_BYTES = 64 << 20  # one unpacked file (the course's photos are well under 1 MB)
MAX_UNPACKED_BYTES = 2 << 30  # everything unpacked from one archive


class FetchError(Exception):
    """A problem the learner can act on; the message says what to do (``data_download.py`` prints it)."""


def os_error_message(err: OSError) -> str:
    """One line for a file-system error, saying what to do; used by ``data_download.py``."""
    where = f" ({err.filename})" if err.filename else ""
    return (f"{err.strerror or err}{where}: the course needs a folder it can write to; fix its permissions or "
            "free some space, or point COURSE_DATA_DIR / KERAS_HOME at another folder.")


# ---------------------------------------------------------------- locking
@contextlib.contextmanager
def locked(folders: Iterable[Path]) -> Iterator[None]:
    """Hold an exclusive lock on each folder (always taken in the same order, so two installers cannot deadlock).

    Used by :func:`install_one`.
    """
    handles = []
    try:
        for folder in sorted(set(folders)):
            folder.mkdir(parents=True, exist_ok=True)
            handle = open(folder / LOCK, "a")
            handles.append(handle)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                print(f"  another install is using {folder}; waiting for it to finish ...", file=sys.stderr,
                      flush=True)
                fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        for handle in handles:
            handle.close()


@contextlib.contextmanager
def _ctrl_c_deferred() -> Iterator[None]:
    """Ctrl-C during this block takes effect right after it (a folder swap is never left half done)."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _normal_permissions(folder: Path) -> None:
    """What ``mkdir`` would have given (``mkdtemp`` makes folders private: 0700)."""
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)


# ---------------------------------------------------------------- progress
class Progress:
    """A one-line progress bar on stderr (a line per quarter when not a terminal); used by :func:`download`."""

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


# ---------------------------------------------------------------- single files
def part_path(dest: Path) -> Path:
    """This process's ``.part`` for ``dest``, adopting one an interrupted run left behind (call under the lock).

    Used by :func:`install_one`'s steps for single files and archives.
    """
    part = dest.with_name(f"{dest.name}.{os.getpid()}.part")
    stale = sorted((p for p in dest.parent.glob(f"{dest.name}.*part") if p != part), key=lambda p: p.stat().st_size)
    if stale and not part.exists():
        os.replace(stale.pop(), part)  # the longest one is resumed
    for leftover in [*stale, *dest.parent.glob(f"{dest.name}.*.converted")]:
        leftover.unlink(missing_ok=True)
    return part


def download(url: str, part: Path, label: str, timeout: float = 30.0) -> None:
    """Download ``url`` into ``part``, resuming what it already holds.

    On return ``part`` is complete but not yet verified.  On an interruption it
    stays for the next run and :class:`FetchError` is raised.  Used by :func:`install_one`
    for every file that comes from the internet.
    """
    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": USER_AGENT}
    if have:
        headers["Range"] = f"bytes={have}-"
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416 and have:  # our partial file is not a prefix the server recognises
            part.unlink()
            return download(url, part, label, timeout)
        raise FetchError(f"{url} answered HTTP {err.code} ({err.reason}).") from err
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise FetchError(f"cannot reach {urllib.request.urlparse(url).netloc} ({reason}).") from err
    with response:
        resumed = response.status == 206
        have = have if resumed else 0  # the server ignored Range: start again
        length = response.headers.get("Content-Length")
        total = have + int(length) if length is not None else None
        progress = Progress(label, total)
        done = have
        try:
            with open(part, "ab" if resumed else "wb") as out:
                while block := response.read(CHUNK):
                    out.write(block)
                    done += len(block)
                    progress.update(done)
        except (urllib.error.URLError, ConnectionError, TimeoutError) as err:
            raise FetchError(f"download of {label} was interrupted after {done} bytes ({err}); "
                             "run the same command again to resume it.") from err
        finally:
            progress.close()
    if total is not None and part.stat().st_size != total:
        raise FetchError(f"download of {label} stopped at {part.stat().st_size} of {total} bytes; "
                         "run the same command again to resume it.")


def _verify_or_delete(spec: FileSpec, part: Path, arrived_from: str, what: str, advice: str) -> None:
    """Check a finished ``.part`` against the pinned checksums; delete it (and say so) if it is bad."""
    problem = registry.file_problem(spec, part, arrived_from)
    if problem is not None:
        part.unlink()
        raise FetchError(f"{what}: {problem}. The bad file was deleted; {advice}")


def _put_in_place(spec: FileSpec, part: Path, dest: Path) -> None:
    """Rename a verified ``.part`` to ``dest``, converting it first where the registry says so."""
    if spec.convert is None:
        os.replace(part, dest)
        return
    raw = part.read_bytes()
    # Verified again on the very bytes that are converted: nothing is unpickled unless it is the pinned file.
    if not any(hashlib.new(h.split(":")[0], raw).hexdigest() == h.split(":")[1] for h in registry.source_hashes(spec)):
        part.unlink()
        raise FetchError(f"{dest.name}: the source changed while it was being installed; run the command again.")
    converted = part.with_name(part.name + ".converted")
    try:
        converted.write_bytes(spec.convert(raw))
    except ValueError as err:
        part.unlink()
        raise FetchError(f"{dest.name} cannot be converted ({err}); please report this to the course.") from err
    os.replace(converted, dest)
    part.unlink()


def _fetch_online(spec: FileSpec, dest: Path) -> None:
    errors = []
    for url in spec.urls:
        part = part_path(dest)
        try:
            download(url, part, dest.name)
        except FetchError as err:
            errors.append(str(err))
            continue
        _verify_or_delete(spec, part, "online", f"{dest.name} from {url}",
                          "try again, or copy it from a course mirror (--mirror DIR).")
        _put_in_place(spec, part, dest)
        return
    raise FetchError(" ".join(errors))


def mirror_sums(mirror: Path) -> dict[str, str]:
    """A mirror's ``SHA256SUMS`` (``<sha256>  ./relative/path`` per line); empty if it has none.

    Used by :func:`install_one` for every file copied from a mirror.
    """
    sums_file = mirror / "SHA256SUMS"
    if not sums_file.is_file():
        return {}
    try:
        rows = registry.read_checksums(sums_file, 2)
    except (ValueError, OSError) as err:
        raise FetchError(f"the mirror's SHA256SUMS cannot be read ({err}): copy the mirror again.") from err
    return {str(PurePosixPath(name.lstrip("*"))): sha for sha, name in rows}


def _mirror_copy(spec: FileSpec, mirror: Path, part: Path) -> None:
    """Copy the mirror's file into ``part`` and check it: pinned checksums, then the mirror's own list."""
    if spec.mirror_path is None:
        raise FetchError(f"{Path(spec.target).name} is not part of the course mirror: it is only available online "
                         "(run the command without --mirror on a machine with internet access).")
    source = mirror / spec.mirror_path
    if not source.is_file():
        raise FetchError(f"{spec.mirror_path} is missing from the mirror {mirror}: the mirror is incomplete; "
                         "copy it again.")
    shutil.copyfile(source, part)
    advice = "the mirror's copy is damaged or not the course's file: copy the mirror again."
    _verify_or_delete(spec, part, "mirror", f"{source.name} from the mirror", advice)
    listed = mirror_sums(mirror).get(spec.mirror_path)
    if listed is not None and file_hash(part) != listed:
        part.unlink()
        raise FetchError(f"{source.name} from the mirror does not match the mirror's SHA256SUMS; {advice}")


def _install_file(spec: FileSpec, mirror: Path | None) -> None:
    dest = target_path(spec)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if mirror is None:
        _fetch_online(spec, dest)
        return
    part = part_path(dest)
    _mirror_copy(spec, mirror, part)
    _put_in_place(spec, part, dest)


# ---------------------------------------------------------------- archives
def _refuse(archive_name: str, why: str) -> FetchError:
    return FetchError(f"refusing archive {archive_name}: {why}; nothing was installed.")


def plan_members(archive: zipfile.ZipFile, asset: Asset, prefix: str) -> list[tuple[zipfile.ZipInfo, str, str | None]]:
    """``(member, path in the folder, pinned sha256 or None)`` for each file to unpack, after every check that
    needs no unpacking: paths that escape, links, limits, file/folder clashes, the expected count.

    Used by :func:`unpack`.
    """
    name = Path(archive.filename or "").name
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise _refuse(name, f"it has {len(infos)} members, more than the {MAX_MEMBERS} allowed")
    pinned = registry.member_checksums(asset)
    # The public archive keeps the source's paths, the mirror's zip the course's: accept either name.
    listed = {}
    for local, (sha, source_path) in pinned.items():
        listed[prefix + source_path] = listed[prefix + local] = (local, sha)
    plan = []
    for info in infos:
        path = PurePosixPath(info.filename.replace("\\", "/"))
        is_link = (info.external_attr >> 16) & 0o170000 == 0o120000
        if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]) or is_link:
            raise _refuse(name, f"member {info.filename!r} would be written outside the target folder")
        if info.is_dir() or not info.filename.startswith(prefix):
            continue
        if pinned and info.filename not in listed:
            continue  # not one of the listed photos
        local, sha = listed[info.filename] if pinned else (info.filename[len(prefix):], None)
        if info.file_size > MAX_MEMBER_BYTES:
            raise _refuse(name, f"member {info.filename!r} unpacks to {info.file_size} bytes, "
                          f"more than the {MAX_MEMBER_BYTES} allowed")
        plan.append((info, local, sha))
    if sum(info.file_size for info, _, _ in plan) > MAX_UNPACKED_BYTES:
        raise _refuse(name, f"it unpacks to more than {MAX_UNPACKED_BYTES} bytes")
    files = [local for _, local, _ in plan]
    folders = {str(parent) for local in files for parent in PurePosixPath(local).parents}
    clash = sorted(folders.intersection(files)) or sorted({f for f in files if files.count(f) > 1})
    if clash:
        raise _refuse(name, f"member {clash[0]!r} appears twice, or as both a file and a folder")
    wanted = len(pinned) or asset.archive.expected_files
    if wanted and len(plan) != wanted:
        raise _refuse(name, f"it holds {len(plan)} files of {asset.name}, expected {wanted}")
    return plan


def _swap_in(staging: Path, target: Path, installed: dict[str, str], aside: Path | None) -> list[str]:
    """Replace ``target`` by ``staging`` atomically; return the learner's files that were carried over or moved.

    The old folder is renamed aside, the new one renamed in, then the old one
    deleted.  Files in the old folder that the course did not put there go into
    the new folder (or into ``aside``), never away.
    """
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    with _ctrl_c_deferred():
        extras = registry.extra_files(target, installed) if target.is_dir() else []
        for rel in extras:
            destination = (aside or staging) / rel
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(target / rel, destination)
        if target.exists():
            os.rename(target, old)
        os.rename(staging, target)
    shutil.rmtree(old, ignore_errors=True)
    return extras


def unpack(zip_path: Path, asset: Asset, prefix: str, force: bool = False) -> str:
    """Unpack ``zip_path`` into ``<data>/<extract_to>`` atomically; return what was done, in words.

    Used by :func:`install_one` for archive assets (the hot-dog photos).
    """
    target = registry.folder_path(asset)
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in target.parent.glob(f".{target.name}.*"):  # from an interrupted run (we hold the lock)
        shutil.rmtree(leftover, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    try:
        _normal_permissions(staging)
        installed = {}
        with zipfile.ZipFile(zip_path) as archive:
            for info, local, sha in plan_members(archive, asset, prefix):
                out = staging / local
                out.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with archive.open(info) as source, open(out, "wb") as sink:
                    while block := source.read(CHUNK):
                        digest.update(block)
                        sink.write(block)
                if sha is not None and digest.hexdigest() != sha:
                    raise _refuse(zip_path.name, f"photo {local} does not match its checksum")
                installed[local] = digest.hexdigest()
        (staging / RECEIPT).write_text(json.dumps({"asset": asset.name, "files": installed}, indent=1))
        aside = None
        if force and target.is_dir() and registry.extra_files(target, installed):
            aside = target.with_name(f"{target.name}-your-files-{time.strftime('%Y%m%d-%H%M%S')}")
        extras = _swap_in(staging, target, installed, aside)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError) as err:
        raise _refuse(zip_path.name, f"it is not a readable zip file ({err})") from err
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    done = f"{len(installed)} files"
    if extras and aside:
        return f"{done}; your {len(extras)} own file(s) were moved to {aside}"
    return f"{done}; your {len(extras)} own file(s) were kept" if extras else done


def _install_archive(asset: Asset, mirror: Path | None, force: bool) -> str:
    spec = asset.archive
    if mirror is not None:
        part = part_path(registry.target_path(spec.archive))
        part.parent.mkdir(parents=True, exist_ok=True)
        try:
            _mirror_copy(spec.archive, mirror, part)
            return unpack(part, asset, spec.mirror_prefix, force)
        finally:
            part.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                part.parent.rmdir()  # the downloads folder, if nothing else is in it
    zip_path = target_path(spec.archive)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    if not zip_path.is_file():
        _fetch_online(spec.archive, zip_path)
    try:
        done = unpack(zip_path, asset, spec.online_prefix, force)
    except FetchError:
        zip_path.unlink(missing_ok=True)  # a bad archive must not be reused on the next run
        raise
    zip_path.unlink()  # unpacked and verified: the zip is no longer needed
    return done


# ---------------------------------------------------------------- install
@dataclass
class Outcome:
    """What :func:`install_one` did for one asset; ``data_download.py`` reports the failed ones."""

    asset: str
    ok: bool
    message: str


def mirror_folder(mirror: str | Path | None) -> Path | None:
    """The mirror as an absolute folder, or a :class:`FetchError` saying what is wrong with it.

    Used by ``data_download.py --mirror`` and :func:`install_one`.
    """
    if mirror is None:
        return None
    folder = Path(mirror).expanduser().resolve()
    if folder.is_file():
        raise FetchError(f"the mirror {folder} is a file: pass the mirror's folder (the one holding SHA256SUMS).")
    if not folder.is_dir():
        raise FetchError(f"mirror folder {folder} does not exist: check the path, or leave out --mirror when online.")
    return folder


def install_one(asset: Asset, mirror: str | Path | None = None, force: bool = False) -> Outcome:
    """Install one asset from the internet (``mirror=None``) or a mirror folder; used by :func:`install`."""
    try:
        mirror = mirror_folder(mirror)
        roots = {paths.root(spec.root) for spec in asset.specs()}
        with locked(roots):
            if asset.archive:
                current = state(asset)
                if not force and current.status == "installed":
                    detail = f" ({current.detail})" if current.detail else ""
                    return Outcome(asset.name, True, f"already installed{detail}")
                done = _install_archive(asset, mirror, force)
            else:
                # Each file is checked once: good ones are kept, missing or bad ones fetched.
                wanted = [spec for spec in asset.files if force or not target_path(spec).is_file()
                          or registry.file_problem(spec, target_path(spec)) is not None]
                if not wanted:
                    return Outcome(asset.name, True, "already installed")
                for spec in wanted:
                    _install_file(spec, mirror)
                done = ""
    except FetchError as err:
        return Outcome(asset.name, False, str(err))
    source = f"mirror {mirror}" if mirror else "internet"
    return Outcome(asset.name, True, f"installed from the {source}" + (f" ({done})" if done else ""))


def install(names: Iterable[str], mirror: str | Path | None = None, force: bool = False,
            report: Callable[[str], None] = print) -> list[Outcome]:
    """Install several assets, reporting each; never stops at the first failure.

    Used by ``data_download.py`` (and so by ``./course.sh setup``).
    """
    outcomes = []
    for name in names:
        asset = registry.get(name)
        report(f"{asset.name}: {asset.title}")
        outcome = install_one(asset, mirror, force)
        report(f"  {'ok' if outcome.ok else 'FAILED'}: {outcome.message}")
        outcomes.append(outcome)
    return outcomes
