"""Helpers shared by the tests that serve the dashboard and drive it in a real browser."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from scoring.paths import REPO_ROOT, Paths

CHROMIUM = Path("/usr/bin/chromium")
#: Debian's chromium, headless, as root, on a machine without outside network.
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


def axe_path() -> Path | None:
    for candidate in (os.environ.get("AXE_CORE_JS"),
                      REPO_ROOT / ".ci" / "node" / "node_modules" / "axe-core" / "axe.min.js"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(paths: Paths, port: int) -> subprocess.Popen:
    """`bokeh serve bokeh_app` from the repo root, on loopback, with the run's artefacts."""
    env = dict(os.environ, SCORING_DATA_DIR=str(paths.data_dir), SCORING_CACHE_DIR=str(paths.cache_dir))
    env.pop("SCORING_API_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bokeh", "serve", "bokeh_app", "--port", str(port), "--address", "127.0.0.1",
         "--allow-websocket-origin", f"127.0.0.1:{port}"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"bokeh serve exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bokeh_app/static/css/dashboard.css",
                                        timeout=2):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("bokeh serve did not start within 60 s")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
