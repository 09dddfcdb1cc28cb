#!/usr/bin/env python3
"""Fetch the course's datasets, photos and pretrained weights.

Every file is checked after it arrives against the checksum pinned in the
course (or, where the public source publishes none, by loading it) and only
then moved into place; a mirror's SHA256SUMS is an extra check.  Files you
added to an installed folder are kept (--force moves them aside).  Course data
goes to data/ in the course folder (or $COURSE_DATA_DIR; a pip-installed course
uses your cache folder); Keras files go to the Keras cache ($KERAS_HOME, default
~/.keras) so that stock calls like keras.applications.MobileNetV2(weights="imagenet")
work offline.  Also installed as `python -m data_download` with the course package.
"""

from __future__ import annotations

import argparse
import os
import sys

try:
    from helpers import assets, environment, fetch, paths
except KeyboardInterrupt:  # Ctrl-C while the first import is still compiling: nothing has started yet
    print("\ninterrupted; run again to resume", file=sys.stderr)
    sys.exit(130)

EPILOG = """
examples:
  python data_download.py                          everything the course needs, from the internet
  python data_download.py --mirror /media/course   the same, copied from a classroom mirror folder
  python data_download.py resnet50 hotdog          optional extras (online only: large downloads)
  python data_download.py --list                   what is installed, missing, unchecked or corrupt

assets (* = optional, not fetched by default):
""" + "\n".join(
    f"  {('*' if a.optional else ' ')}{a.name:<22}{a.title}" for a in assets.ASSETS.values()
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="data_download.py", description=__doc__.split("\n\n")[0],
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="ASSET",
                        help="assets to install (default: every non-optional asset)")
    parser.add_argument("--all", action="store_true", help="also install the optional assets")
    parser.add_argument("--mirror", metavar="DIR",
                        help="copy from a course mirror folder instead of downloading")
    parser.add_argument("--list", action="store_true", help="show each asset's state and exit")
    parser.add_argument("--force", action="store_true",
                        help="re-install even if already installed (your own files in a photo folder are moved "
                             "aside, never deleted)")
    return parser.parse_args(argv)


def folder_problem(writable: bool) -> str | None:
    """What is wrong with the two folders the course writes to, in one line, or None."""
    for variable, folder in (("COURSE_DATA_DIR", paths.data_dir()), ("KERAS_HOME", paths.keras_home())):
        if folder.exists() and not folder.is_dir():
            return (f"{folder} is a file, not a folder: point {variable} at a folder "
                    f"(or unset it to use the default).")
        if writable:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                return f"cannot create {folder} ({err.strerror}): point {variable} at a folder you can write to."
            if not os.access(folder, os.W_OK | os.X_OK):
                return f"cannot write to {folder}: make it writable, or point {variable} at a folder you can write to."
    return None


def show_list() -> int:
    print(f"course data folder: {paths.data_dir()}")
    print(f"Keras cache:        {paths.keras_home()}\n")
    print(f"{'asset':<22}{'state':<21}what (needed by)")
    lacking = 0
    for asset in assets.ASSETS.values():
        st = assets.state(asset)
        label = st.status + (" (optional)" if asset.optional and st.status != "installed" else "")
        lacking += st.status != "installed" and not asset.optional
        print(f"{asset.name:<22}{label:<21}{asset.title}")
        print(f"{'':<43}needed by {', '.join(asset.needed_by)}" + (f"; {asset.note}" if asset.note else ""))
        if st.detail:
            print(f"{'':<43}{st.status}: {st.detail}")
    if lacking:
        print(f"\n{lacking} required asset(s) not installed: run `python data_download.py` "
              "(or add --mirror DIR when offline).")
    return 1 if lacking else 0


def main(argv: list[str] | None = None) -> int:
    environment.safe_console()
    args = parse_args(argv)
    fetch.pooch.get_logger().setLevel("WARNING")  # each asset's own lines say what is fetched, and from where
    try:
        return run(args)
    except BrokenPipeError:  # `--list | head -1`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # (no second error at exit)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted; run again to resume", file=sys.stderr)
        return 130
    except fetch.FetchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"error: {fetch.os_error_message(err)}", file=sys.stderr)
        return 1


def run(args: argparse.Namespace) -> int:
    problem = folder_problem(writable=not args.list)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    if args.list:
        return show_list()
    unknown = [n for n in args.names if n not in assets.ASSETS]
    if unknown:
        print(f"error: unknown asset(s) {', '.join(unknown)}; known: {', '.join(assets.ASSETS)}",
              file=sys.stderr)
        return 2
    names = args.names or [a.name for a in assets.ASSETS.values() if args.all or not a.optional]
    if args.mirror is not None and not args.names:
        # From a mirror, optional online-only assets are simply not there: skip, don't fail.
        names = [n for n in names if any(f.mirror_path for f in assets.get(n).files)]
    mirror = fetch.mirror_folder(args.mirror)
    outcomes = fetch.install(names, mirror=mirror, force=args.force)
    failed = [o for o in outcomes if not o.ok]
    if not failed:
        print(f"\nall {len(outcomes)} asset(s) installed and verified.")
        return 0
    print(f"\n{len(failed)} asset(s) could not be installed:", file=sys.stderr)
    for outcome in failed:
        asset = assets.get(outcome.asset)
        print(f"  {asset.name:<22}needed by {', '.join(asset.needed_by)}", file=sys.stderr)
    if args.mirror is not None:
        print("Each message above says what to do; then run the same command again.", file=sys.stderr)
    else:
        print("If this machine is offline or behind a firewall, copy the files from a course mirror\n"
              "instead: python data_download.py --mirror /path/to/mirror", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
