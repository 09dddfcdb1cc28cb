"""Install the course's assets: download or copy, verify, unpack (``data_download.py`` is its command line).

pooch downloads: it streams each file to a temporary name beside its target, shows progress, checks the pinned
hash, and only then renames it.  filelock keeps one installer at a time per folder, on every OS.  Written here,
because neither has it: :class:`MirrorCopy`, a pooch downloader for a classroom mirror folder (it checks the size
before copying, and the mirror's own ``SHA256SUMS``, which adds a check but never replaces the pinned one);
:func:`unpack`, since pooch's ``Unzip`` extracts every member where the zip says, while the course takes only the
listed photos, verifies each, refuses members that would land outside the folder and swaps the new folder in
atomically, keeping a learner's own files; the receipt (:mod:`helpers.assets` reads it); and a one-line message
for every failure (:class:`FetchError`).

Example::

    >>> from helpers import fetch
    >>> fetch.install(["chelsea"], mirror="../shared/mirror")   # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterable
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


def locked(root: Path):
    """The install lock of one root folder, held for a ``with`` block; a second installer waits, saying so."""
    (root / COURSE_FOLDER).mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(root / COURSE_FOLDER / "install.lock")
    try:
        return lock.acquire(timeout=0)
    except filelock.Timeout:
        print(f"  another install is using {root}; waiting for it to finish ...", file=sys.stderr, flush=True)
        return lock.acquire()


@contextlib.contextmanager
def _ctrl_c_deferred():
    """Ctrl-C inside this block is remembered, not raised, so a folder swap is never left half done.

    ``signal.signal`` works on Windows too, but only in the main thread; elsewhere the block runs as it is.
    """
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, lambda *_: _interrupted.set()) if main else None
    try:
        yield
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)


# ---------------------------------------------------------------- single files
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
                             f"pinned: it matches none of the checksums pinned in the course; {advice}")
        sums = {}
        if (self.mirror / "SHA256SUMS").is_file():
            try:
                sums = {str(PurePosixPath(name.lstrip("*"))): listed
                        for listed, name in registry.read_checksums(self.mirror / "SHA256SUMS", 2)}
            except (ValueError, OSError) as err:
                raise FetchError(f"the mirror's SHA256SUMS cannot be read ({err}): copy the mirror again.") from err
        if sums.get(self.file.mirror_path, sha) != sha:
            raise FetchError(f"{source.name} does not match the mirror's SHA256SUMS; {advice}")
        try:
            reader = open(source, "rb")
        except OSError as err:
            raise FetchError(f"cannot read {source} ({err.strerror}): check the mirror folder's permissions.") from err
        with reader, open(output_file, "wb") as out:
            shutil.copyfileobj(reader, out, 1 << 20)


def _fetch(file: File, mirror: Path | None) -> Path:
    """``file`` downloaded (or copied) and verified, at a hidden temporary name beside its target."""
    name = Path(file.target).name
    download = target_path(file).with_name(f".{name}.{os.getpid()}.download")
    if mirror is None:
        url, known, source, advice = file.url, file.online_hash, f"{name} from {file.url}", "use a course mirror."
        downloader = pooch.HTTPDownloader(progressbar=sys.stderr.isatty(), timeout=30,
                                          headers={"User-Agent": USER_AGENT})
    elif file.mirror_path is None:
        raise FetchError(f"{name} is not part of the course mirror: it is only available online (run the command "
                         "without --mirror on a machine with internet access).")
    else:
        url, known, downloader = (mirror / file.mirror_path).as_uri(), "sha256:" + file.mirror_sha256, \
            MirrorCopy(mirror, file)
        source, advice = f"{name} from the mirror", "copy the mirror again."
    import requests  # pooch's own dependency: its errors say what went wrong online

    try:
        pooch.retrieve(url, known, fname=download.name, path=download.parent, downloader=downloader)
    except requests.HTTPError as err:
        raise FetchError(f"{url} answered HTTP {err.response.status_code} ({err.response.reason}).") from None
    except (requests.ConnectionError, requests.Timeout) as err:
        reason = (re.findall(r"\[Errno -?\d+\][^'\")]*", str(err)) or [type(err).__name__])[-1].strip()
        raise FetchError(f"cannot reach {url.split('/')[2]} ({reason}): check the connection, or {advice}") from None
    except requests.RequestException as err:
        raise FetchError(f"the download of {source} broke off ({type(err).__name__}); run the same command "
                         "again.") from None
    except ValueError as err:  # pooch: the hash does not match, and it has deleted the download
        raise FetchError(f"{source}: it matches none of the checksums pinned in the course. The bad file was "
                         f"deleted; {advice}") from err
    if mirror is None and file.online_hash is None and file.check is not None:
        try:
            file.check(download)  # the source publishes no checksum: a file that loads is a good file
        except ValueError as err:
            download.unlink()
            raise FetchError(f"{source} does not load ({err}); the bad file was deleted: try again, or "
                             f"{advice}") from err
    return download


def _install_file(file: File, mirror: Path | None) -> str:
    """Install one file in place (converting it where the registry says so); return its sha256 for the receipt."""
    if target_path(file).is_dir():
        raise FetchError(f"{target_path(file)} is a folder where the course puts a file: move it away, then run the "
                         "command again.")
    download = _fetch(file, mirror)
    if file.convert is not None:
        converted = download.with_suffix(".converted")
        try:
            file.convert(download, converted)
        except ValueError as err:
            raise FetchError(f"{Path(file.target).name} cannot be converted ({err}); run the command again.") from err
        finally:
            download.unlink()
        download = converted
    os.replace(download, target_path(file))
    return file_hash(target_path(file))


# ---------------------------------------------------------------- archives
def _refuse(archive_name: str, why: str) -> FetchError:
    return FetchError(f"refusing archive {archive_name}: {why}; nothing was installed.")


def plan_members(archive: zipfile.ZipFile, asset: Asset, prefix: str) -> list[tuple[zipfile.ZipInfo, str, str | None]]:
    """``(member, path in the folder, pinned sha256 or None)`` for each file to unpack, after every check that
    needs no unpacking: paths that escape, links, limits, file/folder clashes, the expected count."""
    name, infos, pinned = Path(archive.filename or "").name, archive.infolist(), registry.photo_list(asset)
    if len(infos) > MAX_MEMBERS:
        raise _refuse(name, f"it has {len(infos)} members, more than the {MAX_MEMBERS} allowed")
    listed = {}  # the public archive keeps the source's paths, the mirror's zip the course's: accept either
    for local, (sha, source_path) in pinned.items():
        listed[prefix + source_path] = listed[prefix + local] = (local, sha)
    plan = []
    for info in infos:
        parts = info.filename.replace("\\", "/").split("/")
        odd_parts = {"", ".", ".."} & set(parts[:-1]) or parts[-1] in (".", "..")  # '//', '/x', './', '../'
        if odd_parts or ":" in info.filename or (info.external_attr >> 28) == 0o12:  # 'C:', links
            raise _refuse(name, f"member {info.filename!r} would be written outside the target folder")
        if info.is_dir() or not info.filename.startswith(prefix) or (pinned and info.filename not in listed):
            continue
        local, sha = listed[info.filename] if pinned else ("/".join(parts)[len(prefix):], None)
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


def _real_folder(asset: Asset) -> Path:
    """The asset's folder, or where it links to: a folder linked to another disk is replaced there, not here."""
    folder = registry.folder_path(asset)
    try:
        return folder.resolve() if folder.is_symlink() else folder
    except (RuntimeError, OSError) as err:  # Python 3.10-3.12 raise RuntimeError for a loop of links
        raise FetchError(f"{folder} is a link that leads nowhere ({err}): remove it, then run the command again.") \
            from None


def _aside_folder(target: Path) -> Path:
    """A new, empty folder for the learner's files that ``force`` moves aside (never an existing one)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        with contextlib.suppress(FileExistsError):
            (folder := target.with_name(f"{target.name}-your-files-{stamp}" + f"-{n}" * (n > 1))).mkdir()
            return folder
    raise FetchError(f"too many {target.name}-your-files-* folders: move some away, then run the command again.")


def unpack(zip_path: Path, asset: Asset, prefix: str, force: bool = False) -> str:
    """Unpack ``zip_path`` into the asset's folder atomically, with its receipt; return what was done, in words.

    The learner's own files are copied into the new folder (or, with ``force``, aside) before the swap, so until
    the swap they are still where they were: a failure at any point leaves the folder as it was."""
    target = _real_folder(asset)
    staging = target.with_name(f".{target.name}.staging-{os.getpid()}")  # a killed run's: _clear_leftovers
    staging.mkdir(parents=True)
    try:
        installed = {}
        with zipfile.ZipFile(zip_path) as archive:
            for info, local, sha in plan_members(archive, asset, prefix):
                (out := staging.joinpath(*local.split("/"))).parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as source, open(out, "wb") as sink:
                    shutil.copyfileobj(source, sink, 1 << 16)
                installed[local] = file_hash(out)
                if sha not in (None, installed[local]):
                    raise _refuse(zip_path.name, f"photo {local} does not match its checksum")
        ours = set(installed) | {key.partition("/")[2] for key in registry.read_receipt(asset)}
        extras = registry.extra_files(target, ours) if target.is_dir() else []
        aside = _aside_folder(target) if force and extras else None
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        with _ctrl_c_deferred():
            try:
                for rel in extras:
                    (aside or staging).joinpath(rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(target / rel, (aside or staging) / rel, follow_symlinks=False)
                if target.exists():
                    os.rename(target, old)
                os.rename(staging, target)
            except OSError as err:
                if old.exists() and not target.exists():  # the first rename of the swap happened, the second not
                    os.rename(old, target)
                raise FetchError(f"{err.strerror} ({err.filename}): {target} was left as it was; move that out of "
                                 "the way or fix its permissions, then run the command again.") from err
            _write_receipt(asset, {f"{asset.unpack.folder}/{k}": v for k, v in installed.items()})
            shutil.rmtree(old, ignore_errors=True)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError) as err:
        raise _refuse(zip_path.name, f"it is not a readable zip file ({err})") from err
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if extras:
        return f"{len(installed)} files; your {len(extras)} own file(s) were " + (f"moved to {aside}" if aside
                                                                                 else "kept")
    return f"{len(installed)} files"


# ---------------------------------------------------------------- install
def _write_receipt(asset: Asset, files: dict[str, str]) -> None:
    """Write the receipt last, atomically: an asset counts as installed by the course once it is there."""
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
    if mirror is not None and not str(mirror).strip():
        raise FetchError("--mirror was given an empty folder name: give the mirror's folder, or leave out --mirror.")
    folder = Path(mirror).expanduser().resolve() if mirror is not None else None
    if folder is not None and folder.is_file():
        raise FetchError(f"the mirror {folder} is a file: pass the mirror's folder (the one holding SHA256SUMS).")
    if folder is not None and not folder.is_dir():
        raise FetchError(f"mirror folder {folder} does not exist: check the path, or leave out --mirror when online.")
    return folder


def install_one(asset: Asset, mirror: str | Path | None = None, force: bool = False) -> Outcome:
    """Install one asset from the internet (``mirror=None``) or a mirror folder."""
    try:
        mirror = mirror_folder(mirror)
        with locked(registry.paths.root(asset.root)):
            _clear_leftovers(asset)
            done = ""
            if not force and (current := state(asset)).status == "installed":
                return Outcome(asset.name, True, "already installed" + f" ({current.detail})" * bool(current.detail))
            if asset.unpack:
                zip_path = _fetch(asset.files[0], mirror)
                try:
                    done = unpack(zip_path, asset, (asset.unpack.online_prefix, asset.unpack.mirror_prefix)
                                  [mirror is not None], force)
                finally:
                    zip_path.unlink(missing_ok=True)
                    with contextlib.suppress(OSError):
                        zip_path.parent.rmdir()  # the downloads folder, if nothing else is in it
            else:
                receipt, fetched = registry.read_receipt(asset), 0
                for file in asset.files:
                    status = "replaced" if force else registry.file_state(file, receipt)[0]
                    if status == "unchecked":
                        with contextlib.suppress(ValueError):
                            file.check(target_path(file))  # a file Keras downloaded itself: checked once, kept
                            status = "installed"
                    if status != "installed":
                        target_path(file).parent.mkdir(parents=True, exist_ok=True)
                        receipt[file.target], fetched = _install_file(file, mirror), fetched + 1
                    elif file.target not in receipt:  # good by a pinned checksum: the receipt lists it too
                        receipt[file.target] = file_hash(target_path(file))
                _write_receipt(asset, receipt)
                if not fetched:
                    return Outcome(asset.name, True, "checked the files already there (they load): kept")
    except FetchError as err:
        return Outcome(asset.name, False, str(err))
    except OSError as err:  # one asset's folder trouble; the others are still tried
        return Outcome(asset.name, False, os_error_message(err))
    source = f"mirror {mirror}" if mirror else "internet"
    return Outcome(asset.name, True, f"installed from the {source}" + f" ({done})" * bool(done))


def install(names: Iterable[str], mirror: str | Path | None = None, force: bool = False,
            report: Callable[[str], None] = print) -> list[Outcome]:
    """Install several assets, reporting each; never stops at a failure, only at Ctrl-C."""
    outcomes, names = [], list(names)
    _interrupted.clear()
    for number, name in enumerate(names, 1):
        asset = registry.get(name)
        report(f"{asset.name}: {asset.title}")
        outcomes.append(outcome := install_one(asset, mirror, force))
        report(f"  {'ok' if outcome.ok else 'FAILED'}: {outcome.message}")
        if _interrupted.is_set() and number < len(names):  # Ctrl-C during a swap: that asset finished, stop here
            raise KeyboardInterrupt
    return outcomes
