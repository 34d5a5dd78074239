"""`python main.py serve`: run `bokeh serve bokeh_app` with sane defaults.

The artefact roots reach the app through SCORING_DATA_DIR / SCORING_CACHE_DIR
(the app is a separate process tree, it never sees this CLI's arguments).
Set SCORING_API_URL to make the dashboard score through the HTTP API instead.

Sign-in is on unless `--dev`: Bokeh's auth hooks (`bokeh_app/auth.py`), signed
session ids, a signed HttpOnly cookie, Tornado's XSRF check on the login form,
and the sign-in cookie kept out of the session token the page receives. The
secrets come from BOKEH_SECRET_KEY / BOKEH_COOKIE_SECRET when set (a
deployment sets them, so sign-ins survive a restart), else are drawn for this
run; they travel in the environment, never on the command line. `--dev` (no
sign-in, a banner on every page) is refused on any address but loopback.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys

from scoring.errors import UserError
from scoring.paths import REPO_ROOT, Paths
from scoring.progress import log
from scoring.security import web
from scoring.security.files import users_file
from scoring.security.users import UserStore

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
    if getattr(args, "behind_proxy", False):
        argv.append("--use-xheaders")  # client address and https from the proxy's X-Forwarded-* headers
    env = dict(os.environ) | paths.to_env()
    if getattr(args, "dev", False):
        env[web.ENV_DASHBOARD_DEV] = "1"
        return argv, env
    env.pop(web.ENV_DASHBOARD_DEV, None)
    argv += ["--auth-module", str(APP_DIR / "auth.py"), "--session-ids", "signed", "--enable-xsrf-cookies",
             "--exclude-cookies", web.SESSION_COOKIE, web.XSRF_COOKIE, "--exclude-headers", "Cookie"]
    for name in (web.ENV_SECRET_KEY, web.ENV_COOKIE_SECRET):
        env[name] = env.get(name) or secrets.token_urlsafe(32)
    env[web.ENV_SIGN_SESSIONS] = "yes"
    if getattr(args, "trust_user_header", None):
        env[web.ENV_TRUSTED_USER_HEADER] = args.trust_user_header
    else:
        env.pop(web.ENV_TRUSTED_USER_HEADER, None)
    return argv, env


def check_sign_in(args: argparse.Namespace, paths: Paths) -> None:
    """Refuse `--dev` beyond loopback; say what a signed-in server still lacks."""
    if args.dev:
        if args.host not in LOOPBACK:
            raise UserError(f"--dev serves clients' personal data without sign-in: only on loopback "
                            f"(--host 127.0.0.1), not on {args.host}")
        log.warning("development mode: no sign-in (every page says so)")
        return
    for name in (web.ENV_SECRET_KEY, web.ENV_COOKIE_SECRET):
        if not os.environ.get(name):
            log.warning("%s not set: drawn for this run, so sign-ins end when the server restarts "
                        "(set it in the service's environment, e.g. from `bokeh secret`)", name)
    if args.trust_user_header:
        log.warning("trusting the %s header: only safe when every request comes through the proxy "
                    "that sets it (and removes it from what browsers send)", args.trust_user_header)
    elif not UserStore(users_file(paths)).list():
        log.warning("no dashboard user in %s: add one with `python main.py users add NAME`", users_file(paths))


def cli_serve(args: argparse.Namespace, paths: Paths) -> int:
    """Serve the dashboard until interrupted; the page itself says if artefacts are missing."""
    if not os.environ.get("SCORING_API_URL") and not paths.features.is_file():
        log.warning("no feature table at %s: the dashboard will ask for `python main.py pipeline`",
                    paths.features)
    check_sign_in(args, paths)
    argv, env = serve_command(args, paths)
    log.info("dashboard at http://%s:%d%s%s", args.host, args.port, APP_PATH,
             " (development mode: no sign-in)" if args.dev else "")
    # Its own process group: with --num-procs, bokeh's forked servers outlive their parent, so
    # stopping this command (SIGTERM from a supervisor, Ctrl-C) signals the whole group.
    process = subprocess.Popen(argv, env=env, cwd=REPO_ROOT, process_group=0)
    stopping = []
    signal.signal(signal.SIGTERM, lambda _sig, _frame: (stopping.append(True), _stop_group(process)))
    try:
        code = process.wait()
    except KeyboardInterrupt:
        _stop_group(process)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _stop_group(process, signal.SIGKILL)
        raise
    return 0 if stopping else code


def _stop_group(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Signal the server and every process it forked (each flushes its audit-log writer on SIGTERM)."""
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:  # already gone
        pass
