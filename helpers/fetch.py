"""Install the course's assets: download (or copy from a mirror), verify, unpack; ``data_download.py`` runs it.

pooch does the downloading: it streams each file to a temporary name in the
target folder, shows progress, checks the pinned hash and only then renames
it.  filelock keeps one installer at a time per folder, on every OS.  What
neither has is written here, each for a reason:

* :class:`MirrorCopy`, a pooch downloader that copies from a classroom mirror
  folder (pooch has none for local folders): it checks the size before copying
  and the mirror's own ``SHA256SUMS``, which can add a check but never replace
  the pinned one;
* :func:`unpack`: pooch's ``Unzip`` extracts every member where the zip says;
  the course must only take the listed photos, verify each one, refuse members
  that would land outside the folder, and swap the new folder in atomically,
  keeping files a learner added (or, with ``force``, moving them aside);
* the load-checks and the MNIST conversion (:mod:`helpers.validators`), a
  receipt of what was installed (:mod:`helpers.assets` reads it), and a
  one-line message for every failure (:class:`FetchError`).

Example::

    >>> from helpers import fetch
    >>> fetch.install(["chelsea"], mirror="../shared/mirror")   # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import filelock
import pooch

from helpers import assets as registry
from helpers.assets import COURSE_FOLDER, Asset, File, file_hash, state, target_path

USER_AGENT = "augment-finetune-course/1.0 (+data_download.py)"
MAX_MEMBERS = 20_000  # entries in one archive (d2l's hot-dog set has 2,800 photos)
MAX_MEMBER_BYTES = 64 << 20  # one unpacked file (the course's photos are well under 1 MB)
MAX_UNPACKED_BYTES = 2 << 30  # everything unpacked from one archive
_interrupted = threading.Event()  # Ctrl-C arrived while a folder swap was finishing


class FetchError(Exception):
    """A problem the learner can act on; the message says what to do."""


def os_error_message(err: OSError) -> str:
    """One line for a file-system error on the course's own folders, saying what to do."""
    where = f" ({err.filename})" if err.filename else ""
    return (f"{err.strerror or err}{where}: the course needs a folder it can write to; fix its permissions or "
            "free some space, or point COURSE_DATA_DIR / KERAS_HOME at another folder.")


@contextlib.contextmanager
def locked(root: Path) -> Iterator[None]:
    """Hold the install lock of one root folder; a second installer waits, saying so."""
    folder = root / COURSE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(folder / "install.lock")
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        print(f"  another install is using {root}; waiting for it to finish ...", file=sys.stderr, flush=True)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


@contextlib.contextmanager
def _ctrl_c_deferred() -> Iterator[None]:
    """Ctrl-C inside this block is remembered, not raised: a folder swap is never left half done.

    ``signal.signal`` works on Windows too, but only in the main thread; elsewhere the block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, lambda *_: _interrupted.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# ---------------------------------------------------------------- single files
def mirror_sums(mirror: Path) -> dict[str, str]:
    """A mirror's ``SHA256SUMS`` (``<sha256>  ./relative/path`` per line) as ``{path: sha256}``; empty if none."""
    sums_file = mirror / "SHA256SUMS"
    if not sums_file.is_file():
        return {}
    try:
        rows = registry.read_checksums(sums_file, 2)
    except (ValueError, OSError) as err:
        raise FetchError(f"the mirror's SHA256SUMS cannot be read ({err}): copy the mirror again.") from err
    return {str(PurePosixPath(name.lstrip("*"))): sha for sha, name in rows}


@dataclass
class MirrorCopy:
    """A pooch downloader that copies ``file`` from a course mirror folder (see the module docstring)."""

    mirror: Path
    file: File

    def __call__(self, url: str, output_file: str, pooch_object=None) -> None:
        source, (sha, size) = self.mirror / self.file.mirror_path, registry.MIRROR_PINS[self.file.mirror_path]
        if not source.is_file():
            raise FetchError(f"{self.file.mirror_path} is missing from the mirror {self.mirror}: the mirror is "
                             "incomplete; copy it again.")
        advice = "the mirror's copy is damaged or not the course's file: copy the mirror again."
        if source.stat().st_size != size:
            raise FetchError(f"{source.name} in the mirror has {source.stat().st_size} bytes, not the {size} "
                             f"pinned in the course: it matches none of the checksums pinned in the course; {advice}")
        if mirror_sums(self.mirror).get(self.file.mirror_path, sha) != sha:
            raise FetchError(f"{source.name} does not match the mirror's SHA256SUMS; {advice}")
        try:
            reader = open(source, "rb")
        except OSError as err:
            raise FetchError(f"cannot read {source} ({err.strerror}): check the mirror folder's permissions.") from err
        with reader, open(output_file, "wb") as out:
            shutil.copyfileobj(reader, out, 1 << 20)


def _retrieve(file: File, mirror: Path | None, download: Path) -> None:
    """Bring ``file`` into ``download`` through pooch, which checks the pinned hash before renaming."""
    if mirror is not None and file.mirror_path is None:
        raise FetchError(f"{Path(file.target).name} is not part of the course mirror: it is only available online "
                         "(run the command without --mirror on a machine with internet access).")
    if mirror is None:
        url, known = file.url, file.online_hash
        downloader = pooch.HTTPDownloader(progressbar=sys.stderr.isatty(), timeout=30,
                                          headers={"User-Agent": USER_AGENT})
        source, advice = f"{Path(file.target).name} from {file.url}", "try again, or use a course mirror."
    else:
        url, known, downloader = (mirror / file.mirror_path).as_uri(), "sha256:" + file.mirror_sha256, \
            MirrorCopy(mirror, file)
        source, advice = f"{Path(file.mirror_path).name} from the mirror", "copy the mirror again."
    import requests  # pooch's own dependency; its errors say what went wrong online

    try:
        pooch.retrieve(url, known, fname=download.name, path=download.parent, downloader=downloader)
    except requests.HTTPError as err:
        raise FetchError(f"{url} answered HTTP {err.response.status_code} ({err.response.reason}).") from None
    except (requests.ConnectionError, requests.Timeout) as err:
        reason = (re.findall(r"\[Errno -?\d+\][^'\")]*", str(err)) or [type(err).__name__])[-1].strip()
        raise FetchError(f"cannot reach {url.split('/')[2]} ({reason}): check the connection, or use a course "
                         "mirror (--mirror DIR).") from None
    except requests.RequestException as err:
        raise FetchError(f"the download of {source} broke off ({type(err).__name__}); run the same command "
                         "again.") from None
    except ValueError as err:  # pooch: the hash does not match; it has deleted the download
        raise FetchError(f"{source}: it matches none of the checksums pinned in the course. The bad file was "
                         f"deleted; {advice}") from err


def _fetch(file: File, mirror: Path | None) -> Path:
    """``file`` downloaded (or copied) and verified, at a hidden temporary name beside its target."""
    dest = target_path(file)
    download = dest.with_name(f".{dest.name}.{os.getpid()}.download")
    _retrieve(file, mirror, download)
    if mirror is None and file.online_hash is None and file.check is not None:
        try:
            file.check(download)  # the source publishes no checksum: a file that loads is a good file
        except ValueError as err:
            download.unlink()
            raise FetchError(f"{dest.name} from {file.url} does not load ({err}); the bad file was deleted: try "
                             "again, or use a course mirror.") from err
    return download


def _install_file(file: File, mirror: Path | None) -> str:
    """Install one file in place; return its sha256 for the receipt."""
    dest = target_path(file)
    download = _fetch(file, mirror)
    if file.convert is not None:
        converted = download.with_suffix(".converted")
        try:
            file.convert(download, converted)
        except ValueError as err:
            raise FetchError(f"{dest.name} cannot be converted ({err}); run the command again.") from err
        finally:
            download.unlink()
        download = converted
    os.replace(download, dest)
    return file_hash(dest)


# ---------------------------------------------------------------- archives
def _refuse(archive_name: str, why: str) -> FetchError:
    return FetchError(f"refusing archive {archive_name}: {why}; nothing was installed.")


def plan_members(archive: zipfile.ZipFile, asset: Asset, prefix: str) -> list[tuple[zipfile.ZipInfo, str, str | None]]:
    """``(member, path in the folder, pinned sha256 or None)`` for each file to unpack, after every check that
    needs no unpacking: paths that escape, links, limits, file/folder clashes, the expected count."""
    name = Path(archive.filename or "").name
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise _refuse(name, f"it has {len(infos)} members, more than the {MAX_MEMBERS} allowed")
    pinned = registry.photo_list(asset)
    listed = {}  # the public archive keeps the source's paths, the mirror's zip the course's: accept either
    for local, (sha, source_path) in pinned.items():
        listed[prefix + source_path] = listed[prefix + local] = (local, sha)
    plan = []
    for info in infos:
        parts = info.filename.replace("\\", "/").split("/")
        is_link = (info.external_attr >> 16) & 0o170000 == 0o120000
        if "" in parts[:-1] or ".." in parts or ":" in info.filename or is_link:  # '//', '/x', 'C:', links
            raise _refuse(name, f"member {info.filename!r} would be written outside the target folder")
        if info.is_dir() or not info.filename.startswith(prefix) or (pinned and info.filename not in listed):
            continue
        local, sha = listed[info.filename] if pinned else ("/".join(p for p in parts if p not in ("", "."))
                                                         [len(prefix):], None)
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
    wanted = len(pinned) or asset.unpack.expected_files
    if wanted and len(plan) != wanted:
        raise _refuse(name, f"it holds {len(plan)} files of {asset.name}, expected {wanted}")
    return plan


def _aside_folder(target: Path) -> Path:
    """A new, empty folder for the learner's files that ``force`` moves aside (never an existing one)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        folder = target.with_name(f"{target.name}-your-files-{stamp}" + (f"-{n}" if n > 1 else ""))
        with contextlib.suppress(FileExistsError):
            folder.mkdir()
            return folder
    raise FetchError(f"too many {target.name}-your-files-* folders: move some away, then run the command again.")


def _real_folder(asset: Asset) -> Path:
    """The asset's folder, or where it links to: a folder linked to another disk is replaced there, not here."""
    folder = registry.folder_path(asset)
    return folder.resolve() if folder.is_symlink() else folder


def unpack(zip_path: Path, asset: Asset, prefix: str, force: bool = False) -> str:
    """Unpack ``zip_path`` into the asset's folder atomically, with its receipt; return what was done, in words."""
    target = _real_folder(asset)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    try:
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)  # what mkdir would have given (mkdtemp makes it private)
        installed = {}
        with zipfile.ZipFile(zip_path) as archive:
            for info, local, sha in plan_members(archive, asset, prefix):
                out = staging.joinpath(*local.split("/"))
                out.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with archive.open(info) as source, open(out, "wb") as sink:
                    while block := source.read(1 << 16):
                        digest.update(block)
                        sink.write(block)
                if sha is not None and digest.hexdigest() != sha:
                    raise _refuse(zip_path.name, f"photo {local} does not match its checksum")
                installed[local] = digest.hexdigest()
        expected = set(installed) | {k.split("/", 1)[1] for k in registry.read_receipt(asset)}
        extras = registry.extra_files(target, expected) if target.is_dir() else []
        aside = _aside_folder(target) if force and extras else None
        with _ctrl_c_deferred():
            for rel in extras:
                destination = (aside or staging) / rel
                destination.parent.mkdir(parents=True, exist_ok=True)
                os.rename(target / rel, destination)  # nothing is there: aside is new, staging lacks extras
            if target.exists():
                os.rename(target, old)
            os.rename(staging, target)
            _write_receipt(asset, {f"{asset.unpack.folder}/{k}": v for k, v in installed.items()})
            shutil.rmtree(old, ignore_errors=True)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError) as err:
        raise _refuse(zip_path.name, f"it is not a readable zip file ({err})") from err
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    done = f"{len(installed)} files"
    if extras and aside:
        return f"{done}; your {len(extras)} own file(s) were moved to {aside}"
    return f"{done}; your {len(extras)} own file(s) were kept" if extras else done


# ---------------------------------------------------------------- install
def _write_receipt(asset: Asset, files: dict[str, str]) -> None:
    """Write the receipt last, atomically: an asset counts as installed only once it is there."""
    path = registry.receipt_path(asset)
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    part.write_text(json.dumps({"asset": asset.name, "files": files}, indent=1), encoding="utf-8")
    os.replace(part, path)


def _clear_leftovers(asset: Asset) -> None:
    """Remove what an interrupted run left (temporary downloads, staging and old folders); call under the lock."""
    leftovers = [p for file in asset.files for p in target_path(file).parent.glob(f".{Path(file.target).name}.*")]
    if asset.unpack:
        leftovers += _real_folder(asset).parent.glob(f".{_real_folder(asset).name}.*")
    for path in leftovers:
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


@dataclass
class Outcome:
    """What :func:`install_one` did for one asset; ``data_download.py`` reports the failed ones."""

    asset: str
    ok: bool
    message: str


def mirror_folder(mirror: str | Path | None) -> Path | None:
    """The mirror as an absolute folder, or a :class:`FetchError` saying what is wrong with it."""
    if mirror is None:
        return None
    folder = Path(mirror).expanduser().resolve()
    if folder.is_file():
        raise FetchError(f"the mirror {folder} is a file: pass the mirror's folder (the one holding SHA256SUMS).")
    if not folder.is_dir():
        raise FetchError(f"mirror folder {folder} does not exist: check the path, or leave out --mirror when online.")
    return folder


def install_one(asset: Asset, mirror: str | Path | None = None, force: bool = False) -> Outcome:
    """Install one asset from the internet (``mirror=None``) or a mirror folder."""
    try:
        mirror = mirror_folder(mirror)
        with locked(registry.paths.root(asset.root)):
            _clear_leftovers(asset)
            current = state(asset)
            if not force and current.status == "installed":
                return Outcome(asset.name, True, "already installed" + (f" ({current.detail})" * bool(current.detail)))
            if asset.unpack:
                zip_path = _fetch(asset.files[0], mirror)
                try:
                    done = unpack(zip_path, asset, asset.unpack.mirror_prefix if mirror else asset.unpack.online_prefix,
                                  force)
                finally:
                    zip_path.unlink(missing_ok=True)
                    with contextlib.suppress(OSError):
                        zip_path.parent.rmdir()  # the downloads folder, if nothing else is in it
            else:
                receipt, done = registry.read_receipt(asset), ""
                for file in asset.files:
                    status, _ = registry.file_state(file, receipt)
                    if status == "unchecked" and not force:
                        with contextlib.suppress(ValueError):
                            file.check(target_path(file))  # a file Keras downloaded itself: checked once, kept
                            status = "installed"
                    if force or status != "installed":
                        target_path(file).parent.mkdir(parents=True, exist_ok=True)
                        receipt[file.target] = _install_file(file, mirror)
                    elif file.target not in receipt:
                        receipt[file.target] = file_hash(target_path(file))
                _write_receipt(asset, receipt)
    except FetchError as err:
        return Outcome(asset.name, False, str(err))
    source = f"mirror {mirror}" if mirror else "internet"
    return Outcome(asset.name, True, f"installed from the {source}" + (f" ({done})" if done else ""))


def install(names: Iterable[str], mirror: str | Path | None = None, force: bool = False,
            report: Callable[[str], None] = print) -> list[Outcome]:
    """Install several assets, reporting each; never stops at a failure, only at Ctrl-C."""
    outcomes, names = [], list(names)
    _interrupted.clear()
    for number, name in enumerate(names, 1):
        asset = registry.get(name)
        report(f"{asset.name}: {asset.title}")
        outcome = install_one(asset, mirror, force)
        report(f"  {'ok' if outcome.ok else 'FAILED'}: {outcome.message}")
        outcomes.append(outcome)
        if _interrupted.is_set() and number < len(names):  # Ctrl-C during a swap: that asset finished, stop here
            raise KeyboardInterrupt
    return outcomes
