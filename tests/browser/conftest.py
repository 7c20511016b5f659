"""The real-browser test's fixtures: a JupyterLab server on 127.0.0.1 with a token, and headless Chromium.

Collected only when asked for (``-m browser``, what ``make test-browser`` passes): ``make test`` runs
``pytest tests`` and must not need a browser, so without that marker expression this folder is not even
collected (not skipped). ``make test-browser`` installs what the test needs (see ``docs/browser.md``).

The server serves a temporary copy of the notebook (JupyterLab autosaves, and the committed notebooks keep
no outputs), runs its kernels with ``TINYSR_PRESET=smoke`` and ``OMP_NUM_THREADS=1``, and has its own
Jupyter config, data, runtime and settings folders, so nothing of the user's setup (or news checks, which
need the network) gets in. Logs, the browser console and screenshots go to ``build/browser/``.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "browser"
CHROMIUM = os.environ.get("TINYSR_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Lab settings: no news or update checks (no network), every cell in the DOM (no windowing).
SETTINGS = {"@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
            "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"}}


def pytest_ignore_collect(collection_path, config):
    if "browser" not in (config.getoption("markexpr") or ""):
        return True
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, proc: subprocess.Popen, log: Path, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with status {proc.returncode}; see {log}:\n"
                               f"{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"jupyter lab did not answer {url} within {seconds:.0f} s; see {log}")


@pytest.fixture(scope="session")
def lab():
    """``{"url", "token", "root", "notebook"}`` of a fresh JupyterLab serving a copy of 07_playground."""
    OUT.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="tinysr-lab-"))
    root = home / "notebooks"
    root.mkdir()
    shutil.copy(ROOT / "notebooks" / "07_playground.ipynb", root)
    settings = home / "settings"
    for plugin, values in SETTINGS.items():
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    token, port = secrets.token_hex(16), _free_port()
    env = dict(os.environ, TINYSR_PRESET="smoke", OMP_NUM_THREADS="1", OMP_WAIT_POLICY="PASSIVE",
               JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTER_DATA_DIR=str(home / "data"), JUPYTER_PLATFORM_DIRS="1", MPLBACKEND="Agg")
    cmd = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={home / 'workspaces'}",
           "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = OUT / "jupyter.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_for(f"{url}/api/status?token={token}", proc, log)
        yield {"url": url, "token": token, "root": root, "notebook": root / "07_playground.ipynb"}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)          # the server and the kernels it started
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def browser_page(lab):
    """A page of headless Chromium (the system's, with a fresh profile) and the console messages it logs."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make test-browser` (it installs Debian's chromium) or set "
                    "TINYSR_CHROMIUM to a Chromium binary")
    profile = tempfile.mkdtemp(prefix="tinysr-chromium-")
    console: list[str] = []
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True, args=FLAGS,
                                                   viewport={"width": 1500, "height": 1100})
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
        try:
            yield page, console
        finally:
            (OUT / "console.txt").write_text("\n".join(console) + "\n")
            ctx.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A screenshot of the page when a test fails: ``build/browser/failed_<test>.png``."""
    outcome = yield
    report = outcome.get_result()
    if report.when in ("setup", "call") and report.failed and "browser_page" in item.funcargs:
        page, _ = item.funcargs["browser_page"]
        try:
            page.screenshot(path=str(OUT / f"failed_{item.name}.png"))
        except Exception as exc:  # the page may be gone; the failure itself is what matters
            print(f"no screenshot of the failure: {exc}", file=sys.stderr)
