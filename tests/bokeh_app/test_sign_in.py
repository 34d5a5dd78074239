"""The dashboard's sign-in: `main.py serve` as it starts Bokeh (auth module, signed sessions,
XSRF, cookie kept out of the page), the login form's refusals and limit, development mode.

One signed-in server (the real `serve_command`, behind a pretend proxy so that tests can speak
from several client addresses with X-Real-Ip) is shared by the module; the browser tests drive
it with Debian's chromium and skip without it.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from bokeh.document import Document
from bokeh.util.token import generate_jwt_token, generate_session_id, get_token_payload

from benchmarks.localserver import free_port, stop
from bokeh_app import account
from bokeh_app.palette import contrast_ratio
from scoring.cli.serving import check_sign_in, serve_command
from scoring.errors import UserError
from scoring.paths import REPO_ROOT, Paths
from scoring.security.limiter import MAX_FAILURES
from scoring.security.users import UserStore
from scoring.service.prediction_log import PredictionLog
from tests.browser_support import CHROMIUM, axe_path, page_in, serious_axe_violations

PASSWORD = "un mot de passe assez long"
USER = "alice.martin"


def _serve_args(port: int, **kw) -> argparse.Namespace:
    defaults = dict(port=port, host="127.0.0.1", allow_websocket_origin=None, num_procs=1, show=False,
                    dev=False, trust_user_header=None, behind_proxy=False)
    return argparse.Namespace(**(defaults | kw))


# --------------------------------------------------------------------------- how serve starts bokeh

def test_serve_signs_in_by_default_with_secrets_in_the_environment_only(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BOKEH_SECRET_KEY", "BOKEH_COOKIE_SECRET", "SCORING_DASHBOARD_DEV"):
        monkeypatch.delenv(name, raising=False)
    paths = Paths(data_dir=tmp_path / "d", cache_dir=tmp_path / "c")
    argv, env = serve_command(_serve_args(5123), paths)
    joined = " ".join(argv)
    assert f"--auth-module {REPO_ROOT / 'bokeh_app' / 'auth.py'}" in joined
    assert "--session-ids signed" in joined and "--enable-xsrf-cookies" in joined
    assert "--exclude-cookies pad_user _xsrf" in joined and "--exclude-headers Cookie" in joined
    assert len(env["BOKEH_SECRET_KEY"]) >= 32 and len(env["BOKEH_COOKIE_SECRET"]) >= 32
    assert env["BOKEH_SECRET_KEY"] != env["BOKEH_COOKIE_SECRET"]
    assert env["BOKEH_SECRET_KEY"] not in joined and env["BOKEH_COOKIE_SECRET"] not in joined
    assert env["BOKEH_SIGN_SESSIONS"] == "yes" and "SCORING_DASHBOARD_DEV" not in env
    monkeypatch.setenv("BOKEH_SECRET_KEY", "k" * 40)  # a deployment's own secret is kept
    assert serve_command(_serve_args(5123), paths)[1]["BOKEH_SECRET_KEY"] == "k" * 40
    dev_argv, dev_env = serve_command(_serve_args(5123, dev=True), paths)
    assert "--auth-module" not in dev_argv and dev_env["SCORING_DASHBOARD_DEV"] == "1"
    proxied = serve_command(_serve_args(5123, behind_proxy=True, trust_user_header="X-Remote-User"), paths)
    assert "--use-xheaders" in proxied[0] and proxied[1]["SCORING_TRUSTED_USER_HEADER"] == "X-Remote-User"


def test_development_mode_is_refused_beyond_loopback(tmp_path: Path) -> None:
    paths = Paths(data_dir=tmp_path)
    with pytest.raises(UserError, match="only on loopback"):
        check_sign_in(_serve_args(5006, dev=True, host="0.0.0.0"), paths)
    check_sign_in(_serve_args(5006, dev=True), paths)  # loopback: allowed (with a warning)


# --------------------------------------------------------------------------- who a session is

def test_a_session_without_a_verified_user_sees_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCORING_DASHBOARD_DEV", raising=False)
    monkeypatch.setenv("BOKEH_SECRET_KEY", "s" * 44)
    secret = b"s" * 44

    def context(payload: dict, key: bytes = secret, signed: bool = True) -> SimpleNamespace:
        token = generate_jwt_token(generate_session_id(secret_key=key, signed=signed), secret_key=key,
                                   signed=signed, extra_payload=payload)
        return SimpleNamespace(_token=token, token_payload=get_token_payload(token))

    assert account.session_account(None) is None
    assert account.session_account(context({"account": {"user": USER}})) == account.Account(USER)
    assert account.session_account(context({"account": {"user": None}})) is None  # not signed in
    assert account.session_account(context({"account": {"user": USER}}, key=b"x" * 44)) is None  # forged
    assert account.session_account(context({"account": {"user": USER}}, signed=False)) is None  # unsigned
    assert account.session_account(context({"account": {"user": "<script>"}})) is None
    monkeypatch.setenv("SCORING_DASHBOARD_DEV", "1")
    assert account.session_account(None) == account.Account(None, dev=True)


def test_the_refusal_page_and_the_account_bar_say_it_in_words() -> None:
    doc = Document()
    account.build_refusal_document(doc, "en")
    (div,) = doc.roots
    assert doc.title == "Sign-in required — Prêt à dépenser" and div.html_attributes["role"] == "alert"
    assert "python main.py serve" in html.unescape(div.text) and 'href="/login"' in div.text
    banner = account.account_html(account.Account(None, dev=True), "fr")
    assert "Mode développement : sans connexion" in banner and 'role="status"' in banner
    signed = account.account_html(account.Account("o'brien"), "en")
    assert "Signed in: o&#x27;brien" in signed and 'href="/logout?lang=en">Sign out</a>' in signed
    # the banner's colours (not in the stylesheets the theme test reads)
    css = account.account_css()
    background = re.search(r"\.dev-banner \{[^}]*background: (#[0-9a-f]{6})", css).group(1)
    assert contrast_ratio("#1a1a1a", background) >= 4.5


# --------------------------------------------------------------------------- a signed-in server

@pytest.fixture(scope="module")
def signed_server(small_run: Paths, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`main.py serve` (signed in, behind a pretend proxy) over the small run, with one user."""
    users = tmp_path_factory.mktemp("dashboard_users") / "users.json"
    UserStore(users).add(USER, PASSWORD)
    port = free_port()
    argv, env = serve_command(_serve_args(port, behind_proxy=True), small_run)
    env = env | {"SCORING_USERS_FILE": str(users)}
    for name in ("SCORING_API_URL", "SCORING_TRUSTED_USER_HEADER", "SCORING_DASHBOARD_DEV"):
        env.pop(name, None)
    proc = subprocess.Popen(argv, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, "bokeh serve exited"
            try:
                if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the dashboard did not start"
            time.sleep(0.3)
        yield base
    finally:
        stop(proc)


def _form(http: httpx.Client, base: str, ip: str, **fields: str) -> httpx.Response:
    """Open the login page, then post it (with its anti-forgery token) from client address `ip`."""
    page = http.get(f"{base}/login", params={"next": "/bokeh_app"}, headers={"X-Real-Ip": ip})
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)
    return http.post(f"{base}/login", data={"_xsrf": xsrf, "next": "/bokeh_app"} | fields,
                     headers={"X-Real-Ip": ip} | fields.pop("headers", {}))


def test_unauthenticated_requests_go_to_the_login_page(signed_server: str) -> None:
    with httpx.Client(follow_redirects=False) as http:
        answer = http.get(f"{signed_server}/bokeh_app?client=100002")
        assert answer.status_code == 302
        assert answer.headers["location"] == "/login?next=%2Fbokeh_app%3Fclient%3D100002"
        assert http.get(f"{signed_server}/bokeh_app/metadata").status_code in (302, 403)
        page = http.get(f"{signed_server}/login")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    text = page.text
    assert '<html lang="fr">' in text and "<title>Connexion — Prêt à dépenser</title>" in text
    assert '<label for="username">Identifiant</label>' in text and 'autocomplete="current-password"' in text
    english = httpx.get(f"{signed_server}/login", headers={"Accept-Language": "en-GB,en;q=0.8"}).text
    assert '<html lang="en">' in english and '<label for="password">Password</label>' in english


def test_wrong_passwords_are_refused_counted_and_then_limited(signed_server: str) -> None:
    with httpx.Client(follow_redirects=False) as http:
        no_token = http.post(f"{signed_server}/login", data={"username": USER, "password": PASSWORD})
        assert no_token.status_code == 403 and "pad_user" not in no_token.headers.get("set-cookie", "")
        for _ in range(MAX_FAILURES):
            wrong = _form(http, signed_server, "10.0.0.7", username=USER, password=PASSWORD + "!")
            assert wrong.status_code == 200 and "pad_user" not in wrong.headers.get("set-cookie", "")
            assert 'role="alert">Erreur : identifiant ou mot de passe incorrect.' in wrong.text
            assert 'aria-invalid="true"' in wrong.text and f'value="{USER}"' in wrong.text
        limited = _form(http, signed_server, "10.0.0.7", username=USER, password=PASSWORD)
        assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 60
        assert "trop de tentatives" in limited.text and "pad_user" not in limited.headers.get("set-cookie", "")
        other = _form(http, signed_server, "10.0.0.8", username="nobody", password=PASSWORD)
        assert other.status_code == 200 and "incorrect" in other.text  # another address is not blocked


def test_a_signed_in_session_gets_a_signed_private_cookie_and_a_signed_token(signed_server: str) -> None:
    with httpx.Client(follow_redirects=False) as http:
        signed = _form(http, signed_server, "10.0.1.1", username=USER, password=PASSWORD,
                       headers={"X-Forwarded-Proto": "https"})
        assert signed.status_code == 302 and signed.headers["location"] == "/bokeh_app"
        cookie = next(c for c in signed.headers.get_list("set-cookie") if c.startswith("pad_user="))
        assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower() and "secure" in cookie.lower()
        value = cookie.split(";")[0].split("=", 1)[1]
        page = httpx.Client(cookies={"pad_user": value}).get(f"{signed_server}/bokeh_app")
        assert page.status_code == 200
        token = re.search(r'"token":\s*"([^"]+)"', page.text.replace('\\"', '"')).group(1)
        payload = get_token_payload(token)
        assert payload["account"] == {"user": USER}
        assert "pad_user" not in payload["cookies"] and "Cookie" not in payload["headers"]
        assert value not in page.text and value not in json.dumps(payload)  # the page never holds it
        forged = value.replace(value[-6:], "AAAAAA")
        assert httpx.Client(cookies={"pad_user": forged}).get(f"{signed_server}/bokeh_app").status_code == 302
        out = http.get(f"{signed_server}/logout")
        assert out.status_code == 302 and out.headers["location"].startswith("/login?signed_out=1")
        assert 'pad_user=""' in out.headers["set-cookie"] or "expires" in out.headers["set-cookie"].lower()


def test_an_open_redirect_is_not_possible(signed_server: str) -> None:
    with httpx.Client(follow_redirects=False) as http:
        page = http.get(f"{signed_server}/login", params={"next": "//evil.example.net/x"},
                        headers={"X-Real-Ip": "10.0.2.1"})
        assert 'name="next" value="/bokeh_app"' in page.text
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)
        answer = http.post(f"{signed_server}/login", headers={"X-Real-Ip": "10.0.2.1"},
                           data={"_xsrf": xsrf, "next": "https://evil.example.net/", "username": USER,
                                 "password": PASSWORD})
        assert answer.status_code == 302 and answer.headers["location"] == "/bokeh_app"


# --------------------------------------------------------------------------- in a real browser

@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not installed")
def test_sign_in_end_to_end_in_a_browser(signed_server: str, chromium, small_run: Paths) -> None:
    client_id = _client_ids(small_run)[3]
    with page_in(chromium, viewport={"width": 1280, "height": 1400}, locale="fr-FR",
                 extra_http_headers={"X-Real-Ip": "10.0.3.1"}) as page:
        page.goto(f"{signed_server}/bokeh_app?client={client_id}")
        page.wait_for_url(re.compile(r"/login\?next="))
        assert page.title() == "Connexion — Prêt à dépenser"
        assert page.evaluate("document.activeElement.id") == "username"  # focus starts in the form
        page.get_by_label("Identifiant").fill(USER)
        page.get_by_label("Mot de passe").fill("pas le bon mot de passe")
        page.get_by_role("button", name="Se connecter").click()
        alert = page.get_by_role("alert")
        alert.wait_for(timeout=10_000)
        assert alert.inner_text() == "Erreur : identifiant ou mot de passe incorrect."
        if axe_path() is not None:  # the form with its error (the audit itself needs axe-core)
            assert serious_axe_violations(page) == []
        assert page.evaluate("document.activeElement.id") == "password"  # the name is kept, retype
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_label("Mot de passe").press("Enter")
        page.wait_for_function(f"document.title.endsWith('{client_id}')", timeout=30_000)
        page.locator("p.decision").wait_for(timeout=30_000)
        page.get_by_text(f"Connecté : {USER}").wait_for(timeout=10_000)
        # a what-if: scored, shown, and logged under the signed-in advisor (with the view before it)
        page.get_by_role("button", name="▸ Simuler un changement (afficher)").click()
        credit = page.get_by_label("Montant du crédit (€)", exact=True)
        credit.wait_for(timeout=30_000)
        credit.fill(str(int(float(credit.input_value().replace(",", ".").replace("\u202f", "")) * 2)))
        credit.press("Enter")
        page.get_by_text("Après modification").first.wait_for(timeout=30_000)
        assert [(e["kind"], e["client_id"]) for e in _logged(small_run, USER, 2)] == [
            ("view", client_id), ("what_if", client_id)]
        page.get_by_label("Langue").select_option(label="English")
        page.get_by_text(f"Signed in: {USER}").wait_for(timeout=10_000)
        page.get_by_role("link", name="Sign out").click()
        page.wait_for_url(re.compile(r"/login\?signed_out=1"))
        page.get_by_text("You are signed out.").wait_for(timeout=10_000)
        page.goto(f"{signed_server}/bokeh_app")
        page.wait_for_url(re.compile(r"/login\?next="))


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not installed")
def test_development_mode_says_so_on_the_page(dashboard_server: str, chromium) -> None:
    with page_in(chromium, viewport={"width": 1280, "height": 900}, locale="fr-FR") as page:
        page.goto(dashboard_server)
        banner = page.get_by_role("status").filter(has_text="Mode développement : sans connexion")
        banner.wait_for(timeout=30_000)
        page.get_by_label("Langue").select_option(label="English")
        page.get_by_role("status").filter(has_text="Development mode: no sign-in").wait_for(timeout=10_000)
        assert page.get_by_role("link", name="Sign out").count() == 0


def _logged(paths: Paths, user: str, n: int, timeout: float = 30.0) -> list[dict]:
    """The user's latest `n` events in the run's log, once the server's writer has written them."""
    deadline = time.monotonic() + timeout
    while True:
        events = PredictionLog(paths.prediction_log).tail(n, user=user)
        if len(events) >= n or time.monotonic() > deadline:
            return events
        time.sleep(0.3)


def _client_ids(paths: Paths) -> list[int]:
    import polars as pl

    ids = pl.read_parquet(paths.features, columns=["SK_ID_CURR", "SAMPLE"])
    return [int(i) for i in ids.filter(pl.col("SAMPLE") == "train")["SK_ID_CURR"][:10]]



def test_single_sign_on_trusts_the_configured_header_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine

    def request(**headers: str) -> HTTPServerRequest:
        return HTTPServerRequest(start_line=RequestStartLine("GET", "/bokeh_app", "HTTP/1.1"),
                                 headers=HTTPHeaders({"Host": "127.0.0.1:5006", **headers}))

    monkeypatch.delenv("SCORING_TRUSTED_USER_HEADER", raising=False)
    monkeypatch.setenv("BOKEH_COOKIE_SECRET", "c" * 44)
    assert account.user_from_request(request(**{"X-Remote-User": "alice.martin"})) is None  # off by default
    monkeypatch.setenv("SCORING_TRUSTED_USER_HEADER", "X-Remote-User")
    assert account.user_from_request(request(**{"X-Remote-User": "alice.martin"})) == "alice.martin"
    assert account.user_from_request(request(**{"X-Remote-User": "bad name"})) is None
    assert account.user_from_request(request(**{"X-Other": "alice.martin"})) is None
