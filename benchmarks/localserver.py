"""Start and stop the project's servers on loopback, for benchmarks and tests.

One place knows how to launch `bokeh serve bokeh_app` on a run's artefacts,
wait until it answers, and stop a server process without leaving it behind.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from typing import IO

from scoring.paths import REPO_ROOT, Paths
from scoring.security.web import ENV_DASHBOARD_DEV


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_dashboard(paths: Paths, port: int, *, stderr: int | IO[bytes] = subprocess.DEVNULL,
                    timeout: float = 120.0, extra_args: tuple[str, ...] = ()) -> subprocess.Popen:
    """`bokeh serve bokeh_app` on the run's artefacts (in-process scoring), once it answers; in
    development mode (no sign-in: `main.py serve --dev`), as benchmarks and most tests want."""
    env = dict(os.environ) | paths.to_env() | {ENV_DASHBOARD_DEV: "1"}
    env.pop("SCORING_API_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bokeh", "serve", "bokeh_app", "--port", str(port), "--address", "127.0.0.1",
         "--allow-websocket-origin", f"127.0.0.1:{port}", *extra_args],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            detail = proc.stderr.read().decode(errors="replace")[-2000:] if proc.stderr else ""
            raise RuntimeError(f"bokeh serve exited with {proc.returncode}: {detail}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bokeh_app/static/css/dashboard.css",
                                        timeout=2):
                return proc
        except OSError:
            time.sleep(0.3)
    stop(proc)
    raise RuntimeError(f"bokeh serve did not start within {timeout:.0f} s")


def stop(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """Terminate, then kill if it does not exit in time."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
