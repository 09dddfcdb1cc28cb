"""Start the course's JupyterLab on 127.0.0.1 and drive one notebook in headless Chromium (drive_lab.mjs).

One JupyterLab server serves the whole test session (and a second one, started as `python course.py start --lang zh`
starts it, the Chinese edition's check), from a temporary folder holding copies of notebooks/ and
tests/browser/fixtures/ (running a notebook never touches the committed files). Each check starts a fresh
Chromium with a fresh profile, which opens one notebook, runs all cells, checks the explorer widget and saves
screenshots; then the check shuts that notebook's kernel down. ``present_decks`` presents notebooks as RISE slides
(drive_slides.mjs) and measures every slide.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from helpers.paths import PROJECT_ROOT

HERE = Path(__file__).resolve().parent
DRIVER = HERE / "drive_lab.mjs"
SLIDES_DRIVER = HERE / "drive_slides.mjs"
ZH_DRIVER = HERE / "drive_zh.mjs"
FIXTURES = HERE / "fixtures"
CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("COURSE_SCREENSHOTS", PROJECT_ROOT / "screenshots"))
KERNEL_NAME = "augment-course"
KERNEL_DISPLAY_NAME = "Python 3 (augment course)"
# Run All -> idle, for one notebook; the whole browser step should stay within a few minutes.
RUN_TIMEOUT_S = int(os.environ.get("COURSE_BROWSER_TIMEOUT", "240"))
# Present every lesson deck, English and Chinese, and measure every slide (about three minutes).
SLIDES_TIMEOUT_S = int(os.environ.get("COURSE_SLIDES_TIMEOUT", "480"))



def missing_prerequisites() -> list[str]:
    """What the browser test needs and this machine lacks (install.sh installs it)."""
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium chromium-driver, or set COURSE_CHROMIUM)")
    if shutil.which("node") is None:
        missing.append("Node.js (`node` on PATH)")
    if not chinese_fonts():
        missing.append("a Chinese font, so that Chinese is not drawn as boxes (apt-get install fonts-wqy-microhei)")
    if not (HERE / "node_modules" / "playwright-core" / "package.json").is_file():
        missing.append("playwright-core in tests/browser/node_modules (cd tests/browser && npm ci)")
    try:
        import jupyterlab_rise  # noqa: F401  (the slides test presents a notebook with RISE)
    except ImportError:
        missing.append("jupyterlab-rise (pip install -r requirements.txt)")
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except Exception:  # NoSuchKernel, or jupyter_client missing
        missing.append(f"the course kernel {KERNEL_NAME!r} (python course.py setup installs it)")
    return missing


def _font_files(language: str) -> list[str]:
    """The font files fontconfig offers for ``language`` (``fc-list :lang=LANGUAGE file``); empty without it."""
    if shutil.which("fc-list") is None:
        return []
    listed = subprocess.run(["fc-list", f":lang={language}", "file"], capture_output=True, text=True,
                            check=False).stdout
    return sorted({line.strip().rstrip(":") for line in listed.splitlines() if line.strip()})


def chinese_fonts() -> list[str]:
    """The font files fontconfig offers for Chinese (``fc-list :lang=zh``); empty without fontconfig."""
    return _font_files("zh")


def fontconfig_without_chinese(folder: Path) -> Path | None:
    """A fontconfig file offering one font of this machine that has no Chinese (for the test of the test: a
    Chromium that sees only it draws Chinese as tofu); None when there is no such font."""
    latin = sorted(set(_font_files("en")) - set(chinese_fonts()))
    if not latin:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "fonts").mkdir(exist_ok=True)
    link = folder / "fonts" / Path(latin[0]).name
    if not link.exists():
        link.symlink_to(latin[0])
    config = folder / "fonts.conf"
    config.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>'
                      f"<dir>{folder / 'fonts'}</dir><cachedir>{folder / 'cache'}</cachedir></fontconfig>\n")
    return config


class LabCheckFailed(AssertionError):
    """The notebook failed a check in the browser (stage: open, run-all, widget or slider; for slides: open or
    present)."""

    def __init__(self, stage: str, message: str, report: dict):
        super().__init__(f"[{stage}] {message}\nscreenshots: {report.get('screenshots')}")
        self.stage, self.message, self.report = stage, message, report


class LabDriverError(RuntimeError):
    """The browser driver itself could not run: not a verdict on the notebook."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LabServer:
    """A running ``jupyter lab`` on 127.0.0.1, serving ``root``."""

    process: subprocess.Popen
    base: str
    token: str
    root: Path
    log: Path

    def api(self, method: str, path: str) -> object:
        request = urllib.request.Request(f"{self.base}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""

    def shutdown_kernels(self) -> None:
        """End every notebook session (and its kernel) through the REST API, as JupyterLab's 'Shut Down' does."""
        for session in self.api("GET", "/api/sessions") or []:
            self.api("DELETE", f"/api/sessions/{session['id']}")

    def check_notebook(self, notebook: str, name: str, shots: Path, slider: str = "seed",
                       run_timeout_s: int = RUN_TIMEOUT_S, widget_timeout_s: int = 30,
                       change_timeout_s: int = 60) -> dict:
        """Open ``notebook`` (relative to the server root) in a fresh Chromium, run all cells and check the explorer.

        ``slider`` is a regular expression for the label of the slider to move (case-insensitive); the images
        checked are the <img> elements in the same cell output. Returns the driver's report (timings,
        screenshots, details). Raises LabCheckFailed when the notebook fails a check, LabDriverError when the
        driver could not run at all.
        """
        cells = json.loads((self.root / notebook).read_text())["cells"]
        code_cells = sum(1 for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip())
        return self._drive(DRIVER, notebook, name, shots, run_timeout_s + 240, kernel=KERNEL_DISPLAY_NAME,
                           slider=slider, runTimeoutMs=run_timeout_s * 1000, widgetTimeoutMs=widget_timeout_s * 1000,
                           changeTimeoutMs=change_timeout_s * 1000, codeCells=code_cells)

    def present_decks(self, decks: list[dict], width: int = 1280, height: int = 720,
                      timeout_s: int = SLIDES_TIMEOUT_S) -> dict:
        """Present each of ``decks`` ({notebook, name, shots}: the notebook's path under the server root, the prefix
        and folder of its screenshots) as RISE slides in one ``width`` x ``height`` window, the first one opened as a
        teacher does, with "Open as Reveal Slideshow", and measure every slide of each (drive_slides.mjs).

        Returns the driver's report (details.decks: each deck's slides, measured). Raises LabCheckFailed (stage
        'open' or 'present') when a deck cannot be presented, LabDriverError when the driver could not run at all.
        """
        for deck in decks:
            for old in Path(deck["shots"]).glob(f"{deck['name']}-*.png"):
                old.unlink()
        first = decks[0]
        return self._drive(SLIDES_DRIVER, first["notebook"], "slides", Path(first["shots"]), timeout_s, decks=decks,
                           width=width, height=height)

    def check_chinese(self, notebook: str, name: str, shots: Path, links: list[dict], menu_zh: list[str],
                      menu_en: list[str], no_cjk_fontconfig: Path | None = None, figure: dict | None = None,
                      timeout_s: int = 180) -> dict:
        """Open the Chinese ``notebook`` (this server must show JupyterLab in Chinese), check that the main menu is
        Chinese (every label of ``menu_zh`` shown, none of ``menu_en``) and that the notebook's H1 is drawn with
        Chinese glyphs, not tofu, screenshot it, then follow ``links`` (dicts: lesson, href, target, cell, heading,
        expect) and check each opens its target scrolled to that cell (drive_zh.mjs). With ``figure`` ({cell,
        sha256}), also scroll to that cell and check that it shows the stored figure. Returns the driver's report.
        Raises LabCheckFailed (stage 'open', 'menu', 'font', 'figure' or 'link') when a check fails, LabDriverError
        when the driver could not run at all."""
        return self._drive(ZH_DRIVER, notebook, name, shots, timeout_s, links=links, menuZh=menu_zh, menuEn=menu_en,
                           noCjkFontconfig=str(no_cjk_fontconfig) if no_cjk_fontconfig else None, figure=figure)

    def _drive(self, script: Path, notebook: str, name: str, shots: Path, timeout_s: int, **extra) -> dict:
        """Run one browser driver script on ``notebook`` (the options every driver takes, plus ``extra``), with
        screenshots ``shots/name-*.png``; its report if every check passed."""
        shots.mkdir(parents=True, exist_ok=True)
        for old in shots.glob(f"{name}-*.png"):  # no stale 'after' beside a fresh failure
            old.unlink()
        options = {"base": self.base, "token": self.token, "notebook": notebook, "name": name, "shots": str(shots),
                   "workspace": f"{name}-{secrets.token_hex(4)}", "chromium": CHROMIUM, **extra}
        driver = subprocess.Popen(["node", str(script), json.dumps(options)], cwd=HERE, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            stdout, stderr = driver.communicate(timeout=timeout_s)
        except KeyboardInterrupt:
            driver.terminate()  # Ctrl-C does not reach the driver (own session): close Chromium now
            driver.wait(timeout=15)
            raise
        except subprocess.TimeoutExpired:
            driver.terminate()  # playwright-core closes Chromium on SIGTERM
            try:
                stdout, stderr = driver.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(driver.pid, signal.SIGKILL)
                stdout, stderr = driver.communicate()
            raise LabDriverError(
                f"the browser driver did not finish in {timeout_s}s\n{stderr[-3000:]}") from None
        finally:
            try:
                self.shutdown_kernels()
            except OSError:
                pass
        sys.stderr.write(stderr)  # the driver's step log, shown by pytest on failure
        try:
            report = json.loads(stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError) as err:
            raise LabDriverError(f"driver exit {driver.returncode}, no report ({err})\n{stdout[-2000:]}\n"
                                 f"{stderr[-3000:]}") from None
        if driver.returncode == 0 and report.get("ok"):
            return report
        if driver.returncode == 1:
            raise LabCheckFailed(report.get("stage", "?"), report.get("message", ""), report)
        raise LabDriverError(f"driver exit {driver.returncode}: {report}\nserver log:\n{self.log_tail()}")


def course_zh_app_settings_dir() -> Path:
    """The --LabApp.app_settings_dir that ``python course.py start --lang zh`` passes to JupyterLab, taken from
    course.py's own ``lab_arguments`` (so this test starts JupyterLab in Chinese the way the course does, and
    follows course.py when it changes)."""
    spec = importlib.util.spec_from_file_location("course", PROJECT_ROOT / "course.py")
    course = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(course)
    prefix = "--LabApp.app_settings_dir="
    found = [arg[len(prefix):] for arg in course.lab_arguments("zh", as_root=False) if arg.startswith(prefix)]
    if len(found) != 1:
        raise LabDriverError(f"course.py start --lang zh gives JupyterLab {len(found)} {prefix}... arguments, not "
                             "one: update tests/browser/jupyterlab_driver.py")
    folder = Path(found[0])
    if not (folder / "overrides.json").is_file():
        raise LabDriverError(f"course.py starts JupyterLab with {prefix}{folder}, which has no overrides.json")
    return folder


def start_lab(workdir: Path, app_settings_dir: Path | None = None) -> LabServer:
    """Start ``jupyter lab`` on copies of notebooks/ and the fixtures in ``workdir``. ``app_settings_dir``: passed
    on as --LabApp.app_settings_dir (``python course.py start --lang zh`` gives tools/jupyterlab-zh, whose
    overrides.json makes Chinese the interface's default language)."""
    root, state = workdir / "root", workdir / "state"
    shutil.copytree(PROJECT_ROOT / "notebooks", root / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    shutil.copytree(FIXTURES, root / "fixtures")
    # Lab settings for the test only: no news/update pop-up over the notebook (it would also try the network).
    notification = state / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(state / "config"), JUPYTER_RUNTIME_DIR=str(state / "runtime"),
               PYTHONUNBUFFERED="1")
    env.pop("JUPYTER_TOKEN", None)
    token = secrets.token_hex(24)
    for attempt in range(3):
        port = _free_port()
        log = workdir / f"jupyterlab-{attempt}.log"
        command = [
            sys.executable, "-m", "jupyterlab", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
            "--ServerApp.terminals_enabled=False",
            f"--LabApp.user_settings_dir={state / 'settings'}", f"--LabApp.workspaces_dir={state / 'workspaces'}",
            "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
        ]
        if app_settings_dir is not None:
            command.append(f"--LabApp.app_settings_dir={app_settings_dir}")
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        with log.open("w") as sink:
            process = subprocess.Popen(command, cwd=root, env=env, stdout=sink, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        server = LabServer(process, f"http://127.0.0.1:{port}", token, root, log)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and process.poll() is None:
            try:
                server.api("GET", "/api/status")
                return server
            except OSError:
                time.sleep(0.5)
        stop_lab(server)
        if "already in use" not in server.log_tail():
            break
    raise LabDriverError(f"JupyterLab did not answer on {server.base} within 90 s:\n{server.log_tail()}")


def stop_lab(server: LabServer) -> None:
    """Shut the kernels down, then the server (SIGTERM, then SIGKILL for its process group if it hangs)."""
    if server.process.poll() is None:
        try:
            server.shutdown_kernels()
        except OSError:
            pass
        server.process.terminate()
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()
