"""The shipped deployment templates work: Debian's nginx, configured with the rendered site,
serves the dashboard (with its WebSocket) and the API over HTTPS on loopback, and chromium
opens a client through it.

The servers are started with the ExecStart lines and environment of the rendered systemd
units, as shipped (sign-in on the dashboard, tokens on the API). nginx runs as the current
user from a temporary prefix. Skipped where nginx or openssl is not installed
(.ci/run installs nginx with apt-get).
"""

from __future__ import annotations

import getpass
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from benchmarks.localserver import free_port, stop
from scoring.paths import REPO_ROOT, Paths
from scoring.security.users import UserStore
from scoring.security.web import SESSION_COOKIE
from tests.browser_support import CHROMIUM, page_in
from tests.deploy.support import load_render, unit_command

USER, PASSWORD = "claire.advisor", "un mot de passe assez long"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
OPENSSL = shutil.which("openssl")

pytestmark = [pytest.mark.skipif(NGINX is None, reason="nginx not installed (apt-get install nginx)"),
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

    def __init__(self, run: Paths, tmp: Path):
        self.run, self.tmp = run, tmp
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
            "DASHBOARD_PORT": str(self.dashboard_port), "DASHBOARD_PROCS": "1",
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
        self._spawn(dash_argv, dash_env, cwd, self.dashboard_port, "the dashboard")
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


@pytest.fixture(scope="module")
def stack(small_run: Paths, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("nginx")
    (tmp / "log").mkdir()
    running = Stack(small_run, tmp)
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def client_id(small_run: Paths) -> int:
    import polars as pl

    ids = pl.read_parquet(small_run.features, columns=["SK_ID_CURR", "SAMPLE"])
    return int(ids.filter(pl.col("SAMPLE") == "train")["SK_ID_CURR"][3])


def test_the_api_answers_under_api_over_https(stack: Stack, client_id: int) -> None:
    from scoring.explain.shap_cache import ShapStore
    from scoring.security.tokens import TokenStore

    tls = ssl.create_default_context(cafile=str(stack.cert))  # the proxy's own certificate
    with httpx.Client(base_url=stack.url, verify=tls, timeout=30) as http:
        health = http.get("/api/health")
        assert health.status_code == 200, health.text
        assert health.headers["strict-transport-security"].startswith("max-age=")
        store = ShapStore.open(stack.run)
        try:
            assert health.json()["model_version"] == store.model_version
            expected = store.lookup(client_id).probability
        finally:
            store.close()
        token = TokenStore(stack.tmp / "tokens.json").add("nginx-test")
        score = http.get(f"/api/clients/{client_id}/score", headers={"Authorization": f"Bearer {token}"})
        assert score.status_code == 200, score.text
        assert score.json()["probability"] == pytest.approx(expected, abs=1e-12)


def test_plain_http_is_redirected_to_https(stack: Stack) -> None:
    answer = httpx.get(f"http://127.0.0.1:{stack.http_port}/bokeh_app?client=1", follow_redirects=False)
    assert answer.status_code == 301
    assert answer.headers["location"] == f"https://127.0.0.1:{stack.https_port}/bokeh_app?client=1"


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium not installed at /usr/bin/chromium")
def test_an_advisor_signs_in_and_opens_a_client_through_nginx(stack: Stack, client_id: int, chromium) -> None:
    with page_in(chromium, ignore_https_errors=True, viewport={"width": 1366, "height": 900},
                 locale="fr-FR") as page:
        page.goto(f"{stack.url}/bokeh_app?client={client_id}&lang=fr", wait_until="load")
        page.wait_for_url(re.compile(r"/login\?next="))  # the redirect kept the proxy's https origin
        assert page.url.startswith(f"{stack.url}/login")
        page.get_by_label("Identifiant").fill(USER)
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_label("Mot de passe").press("Enter")
        decision = page.locator("p.decision")
        decision.wait_for(timeout=60_000)  # the document arrives over the proxied WebSocket
        assert "Crédit" in decision.inner_text()
        # behind the proxy the dashboard knows the request was HTTPS: its sign-in cookie is Secure
        cookies = {c["name"]: c for c in page.context.cookies()}
        assert cookies[SESSION_COOKIE]["secure"] and cookies[SESSION_COOKIE]["httpOnly"]
        status = page.evaluate("async () => (await fetch('/api/health')).status")
        assert status == 200  # same origin: the page can reach the API without CORS
    # the session's WebSocket went through nginx (101 Switching Protocols), logged once closed
    deadline, upgrades = time.monotonic() + 15, []
    while not upgrades and time.monotonic() < deadline:
        time.sleep(0.2)
        upgrades = [line for line in (stack.tmp / "log" / "pad-access.log").read_text().splitlines()
                    if '"GET /bokeh_app/ws' in line and '" 101 ' in line]
    assert upgrades
