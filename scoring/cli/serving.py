"""`python main.py serve`: run `bokeh serve bokeh_app` with sane defaults.

The artefact roots reach the app through SCORING_DATA_DIR / SCORING_CACHE_DIR
(the app is a separate process tree, it never sees this CLI's arguments).
Set SCORING_API_URL to make the dashboard score through the HTTP API instead.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys

from scoring.paths import REPO_ROOT, Paths
from scoring.progress import log

APP_DIR = REPO_ROOT / "bokeh_app"
APP_PATH = "/" + APP_DIR.name
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def websocket_origins(host: str, port: int, extra: list[str] | None) -> list[str]:
    """Origins the browser may open the session websocket from: the served host, plus `extra`."""
    origins = [f"{host}:{port}"]
    if host in LOOPBACK:
        origins += [f"localhost:{port}", f"127.0.0.1:{port}"]
    for origin in extra or []:
        origins.append(origin)
    return list(dict.fromkeys(origins))


def serve_command(args: argparse.Namespace, paths: Paths) -> tuple[list[str], dict[str, str]]:
    """The `bokeh serve` argv and environment for these CLI arguments (pure, for tests)."""
    argv = [
        sys.executable, "-m", "bokeh", "serve", str(APP_DIR),
        "--port", str(args.port),
        "--address", args.host,
        "--num-procs", str(args.num_procs),
        "--check-unused-sessions", "10000",
        "--unused-session-lifetime", "60000",
    ]
    for origin in websocket_origins(args.host, args.port, args.allow_websocket_origin):
        argv += ["--allow-websocket-origin", origin]
    if args.show:
        argv.append("--show")
    env = dict(os.environ) | paths.to_env()
    return argv, env


def cli_serve(args: argparse.Namespace, paths: Paths) -> int:
    """Serve the dashboard until interrupted; the page itself says if artefacts are missing."""
    if not os.environ.get("SCORING_API_URL") and not paths.features.is_file():
        log.warning("no feature table at %s: the dashboard will ask for `python main.py pipeline`",
                    paths.features)
    argv, env = serve_command(args, paths)
    log.info("dashboard at http://%s:%d%s", args.host, args.port, APP_PATH)
    process = subprocess.Popen(argv, env=env, cwd=REPO_ROOT)
    # Stopping this command (SIGTERM from a supervisor) stops the server too.
    signal.signal(signal.SIGTERM, lambda _sig, _frame: process.terminate())
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        raise
