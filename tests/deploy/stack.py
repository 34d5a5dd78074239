"""nginx, configured with the rendered site, in front of the dashboard and the API started from
the rendered systemd units' commands: what the deployment tests run. Everything lives in a
temporary folder and runs as the current user."""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from benchmarks.localserver import free_port, stop
from scoring.paths import REPO_ROOT, Paths
from scoring.security.users import UserStore
from tests.deploy.support import load_render, unit_command

USER, PASSWORD = "claire.advisor", "un mot de passe assez long"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
OPENSSL = shutil.which("openssl")

#: Mark for the modules that need nginx in front of the servers.
NEEDS_NGINX = [pytest.mark.skipif(NGINX is None, reason="nginx not installed (apt-get install nginx)"),
               pytest.mark.skipif(OPENSSL is None, reason="openssl not installed")]


def wait_for_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout:.0f} s")


def self_signed(tmp: Path) -> tuple[Path, Path]:
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


def nginx_conf(tmp: Path, site: Path) -> Path:
    """A main nginx.conf around the rendered site, every path in `tmp` (no root needed)."""
    for sub in ("temp", "log"):
        (tmp / sub).mkdir(exist_ok=True)
    temps = "\n".join(f"    {kind}_temp_path {tmp / 'temp' / kind};"
                      for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = tmp / "nginx.conf"
    conf.write_text(f"""
user {getpass.getuser()};
worker_processes 1;
pid {tmp / 'nginx.pid'};
error_log {tmp / 'log' / 'error.log'};
events {{ worker_connections 128; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
{temps}
    access_log {tmp / 'log' / 'access.log'};
    include {site};
}}
""")
    return conf


class Stack:
    """nginx in front of the dashboard and the API, as the rendered templates configure them."""

    def __init__(self, run: Paths, tmp: Path, *, dashboard_procs: int = 1, dev: bool = False):
        """`dev`: the dashboard without sign-in (`--dev` added to its unit's command)."""
        self.run, self.tmp, self.dev = run, tmp, dev
        (tmp / "log").mkdir(exist_ok=True)
        self.https_port, self.http_port = free_port(), free_port()
        self.dashboard_port, self.api_port = free_port(), free_port()
        self.config_dir = tmp / "etc"
        self.config_dir.mkdir()
        cert, key = self_signed(tmp)
        self.cert = cert
        self.rendered = load_render().render({
            "ROOT": str(REPO_ROOT), "DATA_DIR": str(run.data_dir), "CACHE_DIR": str(run.cache_dir),
            "USER": getpass.getuser(), "CONFIG_DIR": str(self.config_dir), "SERVER_NAME": "127.0.0.1",
            "LISTEN_ADDRESS": "127.0.0.1", "HTTPS_PORT": str(self.https_port), "HTTP_PORT": str(self.http_port),
            "TLS_CERT": str(cert), "TLS_KEY": str(key), "LOG_DIR": str(tmp / "log"),
            "DASHBOARD_PORT": str(self.dashboard_port), "DASHBOARD_PROCS": str(dashboard_procs),
            "API_PORT": str(self.api_port), "API_WORKERS": "1",
        })
        (self.config_dir / "dashboard.env").write_text(
            f"BOKEH_SECRET_KEY={'k' * 40}\nBOKEH_COOKIE_SECRET={'c' * 40}\n")
        self.procs: list[subprocess.Popen] = []
        self.users_file = tmp / "users.json"
        UserStore(self.users_file).add(USER, PASSWORD)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def start(self) -> None:
        site = self.tmp / "pret-a-depenser.conf"
        site.write_text(self.rendered["nginx/pret-a-depenser.conf"])
        api_argv, api_env, cwd = unit_command(self.rendered["systemd/pad-api.service"], self.config_dir)
        api_env["SCORING_TOKENS_FILE"] = str(self.tmp / "tokens.json")
        self._spawn(api_argv, api_env, cwd, self.api_port, "the API")
        dash_argv, dash_env, cwd = unit_command(self.rendered["systemd/pad-dashboard.service"], self.config_dir)
        dash_env["SCORING_USERS_FILE"] = str(self.users_file)
        self._spawn(dash_argv + ["--dev"] * self.dev, dash_env, cwd, self.dashboard_port, "the dashboard")
        self.dashboard = self.procs[-1]
        conf = nginx_conf(self.tmp, site)
        check = subprocess.run([NGINX, "-t", "-p", str(self.tmp), "-c", str(conf), "-e", str(self.tmp / "log" / "error.log")],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        self._spawn([NGINX, "-p", str(self.tmp), "-c", str(conf), "-e", str(self.tmp / "log" / "error.log"),
                     "-g", "daemon off;"], dict(os.environ), self.tmp, self.https_port, "nginx")

    def _spawn(self, argv: list[str], env: dict[str, str], cwd: Path, port: int, what: str) -> None:
        with open(self.tmp / "log" / f"{port}.stderr", "wb") as stderr:
            proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=stderr)
        self.procs.append(proc)
        try:
            wait_for_port(port, proc, what)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}: {(self.tmp / 'log' / f'{port}.stderr').read_text()[-2000:]}") from None

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None and proc.args[0] == NGINX:
                proc.send_signal(signal.SIGQUIT)  # nginx's graceful stop
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
            stop(proc)
