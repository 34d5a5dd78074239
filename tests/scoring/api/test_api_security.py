"""The API's sign-in and hardening: bearer tokens, failed-token limit, trusted hosts, CORS, docs."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from scoring.api.app import create_app
from scoring.api.security import (
    ENV_ALLOWED_HOSTS,
    ENV_CORS_ORIGINS,
    ENV_DEV,
    ApiSecurity,
)
from scoring.paths import Paths
from scoring.security.limiter import FailureLimiter
from scoring.security.tokens import TokenStore
from scoring.service.http import HttpClient
from scoring.service.inprocess import InProcessClient
from scoring.service.prediction_log import PredictionLog

MAX_FAILURES = 3


@pytest.fixture(scope="module")
def inproc(small_run: Paths, tmp_path_factory: pytest.TempPathFactory) -> InProcessClient:
    log = PredictionLog(tmp_path_factory.mktemp("secured_api") / "predictions.sqlite")
    client = InProcessClient(small_run, source="api", prediction_log=log)
    yield client
    client.close()


@pytest.fixture()
def tokens(tmp_path: Path) -> TokenStore:
    return TokenStore(tmp_path / "tokens.json")


def _secured(small_run: Paths, inproc: InProcessClient, tokens: TokenStore, **kw) -> TestClient:
    security = ApiSecurity(tokens=tokens, allowed_hosts=("testserver", "127.0.0.1", "localhost"),
                           limiter=FailureLimiter(MAX_FAILURES, 60.0), **kw)
    return TestClient(create_app(small_run, client=inproc, security=security))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_every_route_but_health_and_the_docs_needs_a_token(small_run: Paths, inproc: InProcessClient,
                                                           tokens: TokenStore) -> None:
    cid = inproc.client_ids()[0]
    api = _secured(small_run, inproc, tokens)
    for path in ("/model", "/clients", f"/clients/{cid}", f"/clients/{cid}/score",
                 f"/clients/{cid}/explanation", f"/clients/{cid}/recourse", "/population", "/what-if/form"):
        response = api.get(path)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"] == 'Bearer realm="scoring"'
        assert "Authorization" in response.json()["detail"]
    refused = api.post(f"/clients/{cid}/what-if", json={"overrides": {"AMT_CREDIT": 1}})
    assert refused.status_code == 401
    assert api.get("/health").status_code == 200
    assert api.get("/docs").status_code == 200 and api.get("/openapi.json").status_code == 200
    english = api.get(f"/clients/{cid}", headers={"Accept-Language": "en"}).json()["detail"]
    assert english.startswith("Authentication required")
    token = tokens.add("crm")
    answered = api.get(f"/clients/{cid}/score", headers=_bearer(token))
    assert answered.status_code == 200 and answered.json()["client_id"] == cid
    assert api.get(f"/clients/{cid}", headers={"Authorization": f"bearer {token}"}).status_code == 200
    tokens.remove("crm")  # revoked: refused at the next request, no restart
    assert api.get(f"/clients/{cid}/score", headers=_bearer(token)).status_code == 401


def test_wrong_tokens_are_refused_counted_and_then_limited(small_run: Paths, inproc: InProcessClient,
                                                           tokens: TokenStore,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    good = tokens.add("crm")
    api = _secured(small_run, inproc, tokens)
    for n in range(1, MAX_FAILURES + 1):
        response = api.get("/clients", headers=_bearer(good + "x"))
        assert response.status_code == 401
        assert 'error="invalid_token"' in response.headers["www-authenticate"]
        assert f"({n} in the last minute)" in caplog.text
    limited = api.get("/clients", headers=_bearer(good))  # even a good token waits out the minute
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert "réessayez dans" in limited.json()["detail"]
    assert api.get("/health").status_code == 200  # liveness stays answered
    # a missing token is a forgotten header, not a guess: not counted
    fresh = _secured(small_run, inproc, tokens)
    for _ in range(MAX_FAILURES + 2):
        assert fresh.get("/clients").status_code == 401
    assert fresh.get("/clients", headers=_bearer(good)).status_code == 200


def test_a_forged_host_is_refused_even_in_development_mode(small_run: Paths, inproc: InProcessClient,
                                                           tmp_path: Path) -> None:
    security = ApiSecurity.configure(Paths(data_dir=tmp_path), dev=True, allowed_hosts=["scoring.example.com"])
    assert security.tokens is None
    api = TestClient(create_app(small_run, client=inproc, security=security), base_url="http://127.0.0.1:8000")
    assert api.get("/clients").status_code == 200  # dev: no token
    assert api.get("/health", headers={"Host": "attacker.example.net"}).status_code == 400
    assert api.get("/clients", headers={"Host": "localhost:8000"}).status_code == 200
    assert api.get("/clients", headers={"Host": "scoring.example.com"}).status_code == 200


def test_cors_is_closed_by_default_and_open_to_the_listed_origins(small_run: Paths, inproc: InProcessClient,
                                                                  tokens: TokenStore) -> None:
    token = tokens.add("crm")
    preflight = {"Origin": "https://crm.example.com", "Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "authorization"}
    closed = _secured(small_run, inproc, tokens)
    answer = closed.get("/clients", headers=_bearer(token) | {"Origin": "https://crm.example.com"})
    assert answer.status_code == 200 and "access-control-allow-origin" not in answer.headers
    assert "access-control-allow-origin" not in closed.options("/clients", headers=preflight).headers
    opened = _secured(small_run, inproc, tokens, cors_origins=("https://crm.example.com",))
    allowed = opened.options("/clients", headers=preflight)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://crm.example.com"
    other = opened.options("/clients", headers=preflight | {"Origin": "https://evil.example.net"})
    assert other.status_code == 400 and "access-control-allow-origin" not in other.headers
    refused = opened.get("/clients", headers={"Origin": "https://crm.example.com"})
    assert refused.status_code == 401  # a listed origin still needs a token
    assert refused.headers["access-control-allow-origin"] == "https://crm.example.com"  # readable by the page


def test_the_openapi_document_declares_the_bearer_scheme(small_run: Paths, inproc: InProcessClient,
                                                        tokens: TokenStore) -> None:
    schema = _secured(small_run, inproc, tokens).get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": schema["components"]["securitySchemes"]
        ["bearerAuth"]["description"]}
    assert schema["paths"]["/health"]["get"]["security"] == []
    score = schema["paths"]["/clients/{client_id}/score"]["get"]
    assert score["security"] == [{"bearerAuth": []}] and "401" in score["responses"]
    assert schema["components"]["schemas"]["Overrides"]  # the overrides' schema is still there
    open_schema = TestClient(create_app(small_run, client=inproc)).get("/openapi.json").json()
    assert "securitySchemes" not in open_schema.get("components", {})


def test_the_http_client_sends_the_token_from_the_environment(small_run: Paths, inproc: InProcessClient,
                                                              tokens: TokenStore,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    cid = inproc.client_ids()[0]
    api = _secured(small_run, inproc, tokens)
    monkeypatch.setenv("SCORING_API_TOKEN", tokens.add("dashboard"))
    assert HttpClient(http=api).score(cid).client_id == cid
    monkeypatch.delenv("SCORING_API_TOKEN")
    with pytest.raises(Exception, match="401"):
        HttpClient(http=api).score(cid)


def test_worker_processes_get_the_settings_through_the_environment(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    paths = Paths(data_dir=tmp_path)
    for name in (ENV_DEV, ENV_ALLOWED_HOSTS, ENV_CORS_ORIGINS, "SCORING_TOKENS_FILE"):
        monkeypatch.delenv(name, raising=False)
    default = ApiSecurity.from_env(paths)  # nothing said: tokens required, loopback only
    assert default.tokens is not None and default.tokens.path == tmp_path / "security" / "tokens.json"
    assert default.allowed_hosts == ("127.0.0.1", "localhost", "::1") and default.cors_origins == ()
    configured = ApiSecurity.configure(paths, allowed_hosts=["api.example.com"], cors_origins=["https://a.example"])
    for name, value in configured.to_env().items():
        monkeypatch.setenv(name, value)
    again = ApiSecurity.from_env(paths)
    assert again.tokens is not None and again.allowed_hosts == configured.allowed_hosts
    assert again.cors_origins == ("https://a.example",)
    for name, value in ApiSecurity.configure(paths, dev=True).to_env().items():
        monkeypatch.setenv(name, value)
    assert ApiSecurity.from_env(paths).tokens is None


def test_the_log_records_the_api_user_and_every_client_viewed(small_run: Paths, inproc: InProcessClient,
                                                              tokens: TokenStore) -> None:
    cid = inproc.client_ids()[1]
    crm, dashboard = tokens.add("crm"), tokens.add("dashboard", delegate=True)
    api = _secured(small_run, inproc, tokens)
    as_alice = _bearer(dashboard) | {"X-Scoring-User": "alice.martin"}
    before = inproc.log.count()
    assert api.get(f"/clients/{cid}", headers=_bearer(crm)).status_code == 200
    # only a --delegate token may name the user it acts for: crm's header is ignored
    assert api.get(f"/clients/{cid}/explanation", headers=_bearer(crm) | {"X-Scoring-User": "mallory"}).status_code == 200
    assert api.get(f"/clients/{cid}/score", headers=as_alice).status_code == 200
    assert api.post(f"/clients/{cid}/what-if", headers=as_alice,
                    json={"overrides": {"AMT_CREDIT": 300_000.0}}).status_code == 200
    assert api.get(f"/clients/{cid}/recourse", headers=_bearer(dashboard)).status_code == 200
    assert api.get("/clients/999999999", headers=_bearer(crm)).status_code == 404  # nothing shown, nothing logged
    assert api.get(f"/clients/{cid}", headers={"X-Scoring-User": "alice.martin"}).status_code == 401
    events = inproc.log.tail(50)[-(inproc.log.count() - before):]
    assert [(e["kind"], e["client_id"], e["user"], e["source"]) for e in events] == [
        ("view", cid, "crm", "api"), ("view", cid, "crm", "api"), ("score", cid, "alice.martin", "api"),
        ("what_if", cid, "alice.martin", "api"), ("view", cid, "dashboard", "api")]


def test_the_cli_refuses_development_mode_beyond_loopback_and_accepts_the_served_host(tmp_path: Path) -> None:
    from scoring.api.app import _cli_security
    from scoring.cli.commands import build_parser
    from scoring.errors import UserError

    paths = Paths(data_dir=tmp_path)
    with pytest.raises(UserError, match="only on loopback"):
        _cli_security(build_parser().parse_args(["api", "--dev", "--host", "0.0.0.0"]), paths)
    args = build_parser().parse_args(["api", "--host", "scoring.internal", "--allowed-host", "*.example.com",
                                      "--cors-origin", "https://crm.example.com"])
    security = _cli_security(args, paths)
    assert security.tokens is not None
    assert security.allowed_hosts == ("127.0.0.1", "localhost", "::1", "*.example.com", "scoring.internal")
    assert security.cors_origins == ("https://crm.example.com",)
