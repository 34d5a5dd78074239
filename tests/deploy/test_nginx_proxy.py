"""The shipped deployment templates work: Debian's nginx, configured with the rendered site,
serves the dashboard (with its WebSocket) and the API over HTTPS on loopback, and chromium
opens a client through it.

The servers are started with the ExecStart lines and environment of the rendered systemd
units, as shipped (sign-in on the dashboard, tokens on the API). nginx runs as the current
user from a temporary prefix. Skipped where nginx or openssl is not installed
(.ci/run installs nginx with apt-get).
"""

from __future__ import annotations

import re
import ssl
import time
from collections.abc import Iterator

import httpx
import pytest

from scoring.paths import Paths
from scoring.security.web import SESSION_COOKIE
from tests.browser_support import CHROMIUM, page_in
from tests.deploy.stack import NEEDS_NGINX, PASSWORD, USER, Stack

pytestmark = NEEDS_NGINX


@pytest.fixture(scope="module")
def stack(small_run: Paths, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack(small_run, tmp_path_factory.mktemp("nginx"))
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
