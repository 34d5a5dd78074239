"""The HTTP scoring API: every endpoint, every kind of bad input, and fuzzing for 5xx."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.api.app import MAX_BODY_BYTES, cli_api, create_app
from scoring.api.models import HISTORY_TABLES
from scoring.data.schema import DAYS_NOT_APPLICABLE, TABLES
from scoring.paths import Paths
from scoring.service.inprocess import InProcessClient
from scoring.service.prediction_log import PredictionLog
from scoring.text import catalogue

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def log(small_run: Paths, tmp_path_factory: pytest.TempPathFactory) -> PredictionLog:
    """A log outside the shared run (the small run is read-only for tests)."""
    return PredictionLog(tmp_path_factory.mktemp("api_log") / "predictions.sqlite")


@pytest.fixture(scope="module")
def inproc(small_run: Paths, log: PredictionLog) -> InProcessClient:
    client = InProcessClient(small_run, source="api", prediction_log=log)
    yield client
    client.close()


@pytest.fixture(scope="module")
def app(small_run: Paths, inproc: InProcessClient):
    return create_app(small_run, client=inproc)


@pytest.fixture(scope="module")
def api(app) -> TestClient:
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="module")
def raw(small_run: Paths) -> dict[str, pl.DataFrame]:
    """The run's raw tables (the loader's Parquet copies)."""
    return {name: pl.read_parquet(small_run.interim / s.parquet_name) for name, s in TABLES.items()}


@pytest.fixture(scope="module")
def train_id(raw: dict[str, pl.DataFrame]) -> int:
    return int(raw["application_train"].item(0, "SK_ID_CURR"))


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _history_of(raw: dict[str, pl.DataFrame], client_id: int) -> dict[str, list[dict[str, Any]]]:
    """One client's raw history rows, by table, as JSON-ready dicts."""
    out = {}
    bureau = raw["bureau"].filter(pl.col("SK_ID_CURR") == client_id)
    for table in HISTORY_TABLES:
        if table == "bureau_balance":
            frame = raw[table].join(bureau.select("SK_ID_BUREAU"), on="SK_ID_BUREAU", how="semi")
        else:
            frame = raw[table].filter(pl.col("SK_ID_CURR") == client_id)
        out[table] = frame.to_dicts()
    return out


def _richest_new_client(raw: dict[str, pl.DataFrame]) -> int:
    """A new client (application_test) with the most bureau rows: exercises history aggregation."""
    new_ids = raw["application_test"].get_column("SK_ID_CURR")
    counts = (raw["bureau"].filter(pl.col("SK_ID_CURR").is_in(new_ids.implode()))
              .group_by("SK_ID_CURR").len().sort(["len", "SK_ID_CURR"], descending=[True, False]))
    return int(counts.item(0, "SK_ID_CURR")) if counts.height else int(new_ids[0])


# --------------------------------------------------------------------------- endpoints


def test_health(api: TestClient, small_run: Paths) -> None:
    response = api.get("/health")
    assert response.headers["server-timing"].startswith("app;dur=")
    body = response.json()
    current = (small_run.models / "CURRENT").read_text().strip()
    assert body["status"] == "ok"
    assert body["model_version"] == current
    assert body["cache_version"] == (small_run.shap_cache / "ACTIVE").read_text().strip()
    assert body["n_clients"] == pl.read_parquet(small_run.features).height


def test_model_card_in_both_languages(api: TestClient, inproc: InProcessClient) -> None:
    fr, en = api.get("/model").json(), api.get("/model?lang=en").json()
    model = inproc.store.model
    assert fr["threshold"] == en["threshold"] == model.threshold
    assert fr["cost_weights"] == {"cost_fn": model.card["cost"]["cost_fn"], "cost_fp": model.card["cost"]["cost_fp"]}
    assert "catboost" in fr["metrics"]
    assert [f["name"] for f in fr["features"]] == model.feature_names
    assert sorted(f["rank"] for f in fr["features"]) == list(range(1, len(model.feature_names) + 1))
    by_name = {f["name"]: (f, g) for f, g in zip(fr["features"], en["features"], strict=True)}
    f_fr, f_en = by_name["AMT_CREDIT"]
    assert f_fr["label"] == catalogue.label("AMT_CREDIT", "fr") and f_en["label"] == catalogue.label("AMT_CREDIT", "en")
    assert f_fr["label"] != f_en["label"] and f_fr["unit"] == "currency"
    assert f_fr["group_label"] != f_en["group_label"]
    assert {f["name"] for f in fr["editable_fields"]} == set(catalogue.RAW_FIELDS)
    levels = fr["risk_levels"]
    assert len(levels) == 7 and levels[4]["from"] == pytest.approx(model.threshold)


def test_client_ids_listed(api: TestClient, small_run: Paths) -> None:
    body = api.get("/clients").json()
    ids = pl.read_parquet(small_run.features, columns=["SK_ID_CURR"]).get_column("SK_ID_CURR").to_list()
    assert body["count"] == len(ids) and body["client_ids"] == ids


def test_profile_in_human_units(api: TestClient, raw: dict[str, pl.DataFrame], train_id: int) -> None:
    row = raw["application_train"].filter(pl.col("SK_ID_CURR") == train_id).row(0, named=True)
    fr = api.get(f"/clients/{train_id}").json()
    en = api.get(f"/clients/{train_id}", headers={"Accept-Language": "en-GB,en;q=0.9"}).json()
    facts_fr = {f["key"]: f for f in fr["facts"]}
    facts_en = {f["key"]: f for f in en["facts"]}
    age = -row["DAYS_BIRTH"] / 365.25
    assert facts_fr["age"]["value"] == pytest.approx(age, abs=0.01)
    assert facts_fr["age"]["display"].endswith("ans") and facts_en["age"]["display"].endswith("years")
    status = row["NAME_FAMILY_STATUS"]
    assert facts_fr["family_status"]["display"] == catalogue.category_label("NAME_FAMILY_STATUS", status, "fr")
    assert facts_fr["credit"]["value"] == row["AMT_CREDIT"] and "€" in facts_fr["credit"]["display"]
    assert facts_fr["children"]["value"] == row["CNT_CHILDREN"]
    # never a raw negative day count, never an internal English code in French
    for fact in fr["facts"]:
        assert not (isinstance(fact["value"], (int, float)) and fact["value"] < 0), fact
    assert "Married" not in json.dumps(fr["facts"], ensure_ascii=False)
    assert fr["form_values"]["AMT_CREDIT"] == row["AMT_CREDIT"]


def test_profile_of_a_client_without_job(api: TestClient, raw: dict[str, pl.DataFrame]) -> None:
    rows = raw["application_train"].filter(pl.col("DAYS_EMPLOYED") == DAYS_NOT_APPLICABLE)
    if rows.height == 0:
        pytest.skip("no client with the 'not applicable' employment code in this run")
    cid = int(rows.item(0, "SK_ID_CURR"))
    facts = {f["key"]: f for f in api.get(f"/clients/{cid}").json()["facts"]}
    assert facts["employment"]["value"] is None
    assert "sans objet" in facts["employment"]["display"]
    assert str(DAYS_NOT_APPLICABLE) not in json.dumps(facts)


def test_score_comes_from_the_cache_and_is_logged(api: TestClient, inproc: InProcessClient,
                                                   log: PredictionLog, train_id: int) -> None:
    before = log.count()
    body = api.get(f"/clients/{train_id}/score").json()
    cached = inproc.store.lookup(train_id)
    assert body["probability"] == cached.probability
    assert body["refused"] == (cached.probability >= body["threshold"])
    assert body["decision"] == ("refused" if body["refused"] else "accepted")
    assert 0 <= body["risk_level"] <= 6
    assert body["model_version"] == inproc.store.model_version
    assert log.count() == before + 1
    last = log.tail(1)[0]
    assert (last["client_id"], last["source"], last["kind"]) == (train_id, "api", "score")
    assert last["probability"] == body["probability"]


def test_the_logged_source_is_the_servers_not_the_callers(api: TestClient, log: PredictionLog, train_id: int,
                                                          raw: dict[str, pl.DataFrame]) -> None:
    """The former X-Scoring-Source header (or any other) cannot write a source name into the log."""
    before = log.count()
    for header in ("dashboard", "batch-check", "x'; DROP TABLE--"):
        headers = {"X-Scoring-Source": header, "X-Source": header}
        assert api.get(f"/clients/{train_id}/score", headers=headers).status_code == 200
        assert api.post(f"/clients/{train_id}/what-if", headers=headers,
                        json={"overrides": {"AMT_CREDIT": 300_000.0}}).status_code == 200
    anonymous = {k: v for k, v in raw["application_test"].row(0, named=True).items() if k != "SK_ID_CURR"}
    assert api.post("/score", json={"record": anonymous}, headers={"X-Scoring-Source": "batch"}).status_code == 200
    events = log.tail(7)
    assert log.count() == before + 7
    assert {e["source"] for e in events} == {"api"}
    assert [e["kind"] for e in events] == ["score", "what_if"] * 3 + ["new_application"]


def test_explanation(api: TestClient, train_id: int) -> None:
    body = api.get(f"/clients/{train_id}/explanation?top=5").json()
    contributions = body["contributions"]
    assert len(contributions) == 5
    magnitudes = [abs(c["shap"]) for c in contributions]
    assert magnitudes == sorted(magnitudes, reverse=True)
    total = body["base_value"] + sum(c["shap"] for c in contributions) + body["other_factors"]
    assert total == pytest.approx(_logit(body["score"]["probability"]), abs=1e-6)
    for c in contributions:
        assert c["label"] == catalogue.label(c["feature"], "fr")
        assert c["display_value"] == catalogue.format_value(c["feature"], c["value"], "fr")
    ranks = [g["rank"] for g in body["global_importance"]]
    assert ranks == list(range(1, len(ranks) + 1))
    en = api.get(f"/clients/{train_id}/explanation?top=5&lang=en").json()
    assert [c["feature"] for c in en["contributions"]] == [c["feature"] for c in contributions]
    assert [c["label"] for c in en["contributions"]] == [catalogue.label(c["feature"], "en") for c in contributions]


def test_explanation_json_is_the_dataclass_form(api: TestClient, inproc: InProcessClient, train_id: int) -> None:
    from scoring.service.protocol import to_dict

    e = inproc.explanation(train_id, 6, "en")
    expected = to_dict(e)
    expected["score"]["decision"] = "refused" if expected["score"]["refused"] else "accepted"
    # plus the values in points the dataclasses derive (properties)
    expected["score"] |= {"points": e.score.points, "threshold_points": e.score.threshold_points}
    expected["base_points"] = e.base_points
    for c, out in zip(e.contributions, expected["contributions"], strict=True):
        out["points"] = c.points
    for g, out in zip(e.global_importance, expected["global_importance"], strict=True):
        out["mean_abs_points"] = g.mean_abs_points
    assert api.get(f"/clients/{train_id}/explanation?top=6&lang=en").json() == expected


def test_explanation_concepts_sum_to_the_score_in_points(api: TestClient, inproc: InProcessClient) -> None:
    refused = next(i for i in inproc.client_ids() if inproc.score(i).refused)
    for lang in ("fr", "en"):
        body = api.get(f"/clients/{refused}/explanation?top=1&lang={lang}").json()
        score = body["score"]
        total = body["base_points"] + sum(k["points"] for k in body["concepts"])
        assert total == pytest.approx(score["points"], abs=1e-6)
        assert score["points"] <= score["threshold_points"] and score["decision"] == "refused"
        reasons = body["principal_reasons"]
        assert 1 <= len(reasons) <= 4
        protected = {k["concept"] for k in body["concepts"] if k["protected"]}
        for r in reasons:
            assert set(r) == {"concept", "label", "points", "sentence", "feature", "display_value"}
            assert r["concept"] not in protected and r["points"] < 0
            assert r["display_value"] in r["sentence"]
        assert reasons[0]["sentence"].startswith(("Your", "The", "How") if lang == "en" else ("Vo", "L", "Le"))


def test_what_if_with_current_values_reproduces_the_cached_score(
        api: TestClient, raw: dict[str, pl.DataFrame], train_id: int, log: PredictionLog) -> None:
    row = raw["application_train"].filter(pl.col("SK_ID_CURR") == train_id).row(0, named=True)
    same = {"AMT_CREDIT": row["AMT_CREDIT"], "NAME_HOUSING_TYPE": row["NAME_HOUSING_TYPE"]}
    body = api.post(f"/clients/{train_id}/what-if", json={"overrides": same}).json()
    assert body["after"]["score"]["probability"] == pytest.approx(body["before"]["score"]["probability"], abs=1e-9)
    assert body["difference"]["decision_changed"] is False
    last = log.tail(1)[0]
    assert last["kind"] == "what_if" and last["overrides"] == same and last["client_id"] == train_id


def test_what_if_changes_the_score_consistently(api: TestClient, train_id: int) -> None:
    overrides = {"AMT_CREDIT": 4_000_000.0, "AMT_ANNUITY": 400_000.0, "DAYS_EMPLOYED": DAYS_NOT_APPLICABLE}
    body = api.post(f"/clients/{train_id}/what-if?top=3&lang=en", json={"overrides": overrides}).json()
    before, after = body["before"]["score"], body["after"]["score"]
    assert body["overrides"] == overrides
    assert body["difference"]["probability"] == pytest.approx(after["probability"] - before["probability"])
    assert body["difference"]["decision_changed"] == (after["refused"] != before["refused"])
    assert after["probability"] != before["probability"]
    total = body["after"]["base_value"] + sum(c["shap"] for c in body["after"]["contributions"]) \
        + body["after"]["other_factors"]
    assert total == pytest.approx(_logit(after["probability"]), abs=1e-6)
    shown = {c["feature"]: c for c in body["after"]["contributions"]}
    if "AMT_CREDIT" in shown:
        assert shown["AMT_CREDIT"]["value"] == 4_000_000.0


def test_score_new_applicant_matches_the_batch_path(api: TestClient, inproc: InProcessClient,
                                                    raw: dict[str, pl.DataFrame], log: PredictionLog) -> None:
    """A new client's raw record and raw history, sent as JSON (without its id, which the service
    knows), score exactly as the nightly batch did."""
    cid = _richest_new_client(raw)
    record = raw["application_test"].filter(pl.col("SK_ID_CURR") == cid).row(0, named=True)
    anonymous = {k: v for k, v in record.items() if k != "SK_ID_CURR"}
    history = _history_of(raw, cid)
    body = api.post("/score?top=4", json={"record": anonymous, "history": history}).json()
    assert body["score"]["client_id"] is None
    assert body["score"]["probability"] == pytest.approx(inproc.store.lookup(cid).probability, abs=1e-9)
    assert len(body["contributions"]) == 4
    last = log.tail(1)[0]
    assert (last["kind"], last["client_id"], last["source"]) == ("new_application", None, "api")
    # an id the service does not know is kept (the applicant's future number)
    body = api.post("/score", json={"record": dict(anonymous, SK_ID_CURR=987_654_321)}).json()
    assert body["score"]["client_id"] == 987_654_321 and 0.0 < body["score"]["probability"] < 1.0
    assert log.tail(1)[0]["client_id"] == 987_654_321
    # without history it is still scored (as an applicant with no history)
    body = api.post("/score", json={"record": anonymous}).json()
    assert body["score"]["client_id"] is None and 0.0 < body["score"]["probability"] < 1.0


def test_recourse_and_warnings(api: TestClient, inproc: InProcessClient, raw: dict[str, pl.DataFrame]) -> None:
    """GET /clients/{id}/recourse: the service's answer with decision words; what-if and POST /score
    responses carry the unusual-value warnings."""
    from scoring.service.protocol import to_dict

    refused = next(cid for cid in inproc.client_ids() if inproc.score(cid).refused and inproc.recourse(cid).options)
    body = api.get(f"/clients/{refused}/recourse?lang=en").json()
    expected = to_dict(inproc.recourse(refused, "en"))
    assert body["decision"] == "refused" and body["summary"] == expected["summary"]
    assert [o["changes"] for o in body["options"]] == [o["changes"] for o in expected["options"]]
    assert all(o["decision"] == "accepted" and o["sentence"] for o in body["options"])
    assert api.get("/clients/1/recourse").status_code == 404
    assert api.get(f"/clients/{refused}/recourse?lang=xx").status_code == 422
    far = api.post(f"/clients/{refused}/what-if?lang=en", json={"overrides": {"AMT_CREDIT": 9_000_000.0}}).json()
    assert far["warnings"] and far["warnings"] == far["after"]["warnings"]
    assert far["warnings"][0]["kind"] == "range" and "AMT_CREDIT" in far["warnings"][0]["fields"]
    record = {k: v for k, v in raw["application_test"].row(0, named=True).items() if k != "SK_ID_CURR"}
    body = api.post("/score?lang=en", json={"record": record | {"AMT_INCOME_TOTAL": 1_000.0}}).json()
    assert any(w["kind"] == "range" and "AMT_INCOME_TOTAL" in w["fields"] for w in body["warnings"])


def test_score_with_an_existing_clients_id_is_409_and_logs_nothing(
        api: TestClient, raw: dict[str, pl.DataFrame], log: PredictionLog, train_id: int) -> None:
    """POST /score never logs a score under an existing client: it points to the what-if route."""
    new_id = int(raw["application_test"].item(0, "SK_ID_CURR"))
    record = raw["application_test"].row(0, named=True)
    before = log.count()
    for cid in (new_id, train_id):
        response = api.post("/score?lang=en", json={"record": dict(record, SK_ID_CURR=cid)})
        assert response.status_code == 409, response.text
        body = response.json()
        assert body["client_id"] == cid and body["what_if"] == f"/clients/{cid}/what-if"
        assert body["detail"].startswith(f"Client {cid} already exists")
        assert f"POST /clients/{cid}/what-if" in body["detail"]
    fr = api.post("/score", json={"record": record}).json()["detail"]
    assert fr.startswith(f"Le client {new_id} existe déjà") and f"POST /clients/{new_id}/what-if" in fr
    assert log.count() == before
    # a record that is also invalid gets its per-field 422 first
    assert api.post("/score", json={"record": dict(record, CODE_GENDER="?")}).status_code == 422


def test_docs_and_schema_generated_from_the_raw_contract(api: TestClient) -> None:
    assert api.get("/docs").status_code == 200
    spec = api.get("/openapi.json").json()
    record = spec["components"]["schemas"]["ApplicationRecord"]
    assert record["additionalProperties"] is False
    assert set(record["properties"]) == set(TABLES["application_test"].column_names)
    status = json.dumps(record["properties"]["NAME_FAMILY_STATUS"])
    assert "Civil marriage" in status
    assert "DAYS_BIRTH" in record["required"] and "EXT_SOURCE_1" not in record["required"]
    overrides = spec["components"]["schemas"]["Overrides"]
    assert set(overrides["properties"]) == set(catalogue.RAW_FIELDS) - set(PROTECTED)


def test_real_rows_fit_the_request_models(realdata_dir: Path) -> None:
    """Real Home Credit rows, read by the loader, are valid API records and history rows as they are."""
    from scoring.api.models import application_model, history_row_model
    from scoring.data.loader import read_table

    record_model = application_model()
    test_rows = read_table(realdata_dir / "liagit_application_test.csv", "application_test").to_dicts()
    train_rows = read_table(realdata_dir / "jointest_application_train.csv", "application_train") \
        .drop("TARGET").to_dicts()
    for row in test_rows + train_rows:
        record_model.model_validate(row)
    for table, name in (("bureau", "jointest_bureau.csv"), ("previous_application", "jointest_previous_application.csv"),
                        ("installments_payments", "jointest_installments_payments.csv")):
        row_model = history_row_model(table)
        for row in read_table(realdata_dir / name, table).to_dicts():
            row_model.model_validate(row)


def test_population_endpoints(api: TestClient, train_id: int) -> None:
    info = api.get("/population").json()
    assert info["n_clients"] > 0 and any(f["name"] == "AMT_CREDIT" for f in info["features"])
    c = api.get(f"/population/comparison?feature=AMT_CREDIT&group=granted_refused&client_id={train_id}").json()
    assert [g["key"] for g in c["subgroups"]] == ["granted", "refused"] and c["client_id"] == train_id
    s = api.get(f"/population/scatter?x=AMT_CREDIT&y=EXT_SOURCE_2&client_id={train_id}&max_points=100").json()
    assert len(s["client_ids"]) <= 101 and s["client"]["client_id"] == train_id
    sel = api.post("/population/selection", json={"x": "AMT_CREDIT", "y": "EXT_SOURCE_2", "region": {
        "type": "rect", "x0": 0, "x1": 1e9, "y0": 0, "y1": 1}}).json()
    assert 0 < sel["selection"]["count"] <= sel["population"]["count"] and not sel["everyone"]
    form = api.get(f"/clients/{train_id}/what-if/form").json()
    assert {f["name"] for f in form["fields"]} == set(catalogue.RAW_FIELDS) - set(PROTECTED)
    check = api.post("/what-if/check?lang=en", json={"overrides": {"AMT_CREDIT": "2,5", "DAYS_EMPLOYED": "1"}})
    assert check.status_code == 200
    assert check.json()["errors"]["AMT_CREDIT"].startswith("Credit amount: €")
    assert "out of range, must be between €1,000 and €10,000,000" in check.json()["errors"]["AMT_CREDIT"]
    assert check.json()["raw"] == {"DAYS_EMPLOYED": -365}


@pytest.mark.parametrize(("method", "url", "body", "field"), [
    ("GET", "/population/comparison?feature=NOPE", None, "feature"),
    ("GET", "/population/comparison?feature=AMT_CREDIT&group=cousins", None, "group"),
    ("GET", "/population/comparison", None, "feature"),
    ("GET", "/population/scatter?x=AMT_CREDIT&y=CODE_GENDER", None, "y"),
    ("GET", "/population/scatter?x=AMT_CREDIT&y=AMT_CREDIT&max_points=0", None, "max_points"),
    ("GET", "/population/scatter?x=AMT_CREDIT&y=AMT_CREDIT&max_points=abc", None, "max_points"),
    ("POST", "/population/selection", {"x": "AMT_CREDIT", "y": "EXT_SOURCE_2", "region": {"type": "o"}}, "region"),
    ("POST", "/population/selection", {"x": "NOPE", "y": "EXT_SOURCE_2",
                                       "region": {"type": "rect", "x0": 0, "x1": 1, "y0": 0, "y1": 1}}, "x"),
    ("POST", "/population/selection", {"client_ids": ["a"]}, "client_ids.0"),
    ("POST", "/population/selection", {"client_ids": [1], "junk": 1}, "junk"),
    ("POST", "/what-if/check?units=metres", {"overrides": {}}, "units"),
    ("POST", "/what-if/check", {}, "overrides"),
])
def test_bad_population_queries_are_422_per_parameter(api: TestClient, method: str, url: str, body: Any,
                                                      field: str) -> None:
    response = api.request(method, url, json=body)
    assert response.status_code == 422, response.text
    assert field in response.json()["errors"] and response.json()["detail"].startswith("Données invalides")


def test_unknown_client_in_population_queries_is_404(api: TestClient) -> None:
    for url in ("/population/comparison?feature=AMT_CREDIT&client_id=1",
                "/population/scatter?x=AMT_CREDIT&y=EXT_SOURCE_2&client_id=1&lang=en",
                "/clients/1/what-if/form"):
        response = api.get(url)
        assert response.status_code == 404, url
        assert "1" in response.json()["detail"]


def test_what_if_values_are_checked_once_by_the_overrides_module(api: TestClient, train_id: int,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The route passes the body's values through; only scoring.service.overrides judges them."""
    from scoring.service import overrides

    calls = []
    real = overrides.validate
    monkeypatch.setattr(overrides, "validate", lambda *a, **k: calls.append(a) or real(*a, **k))
    response = api.post(f"/clients/{train_id}/what-if", json={"overrides": {"AMT_CREDIT": 10.0}})
    assert response.status_code == 422 and len(calls) == 1
    assert "Montant du crédit : 10" in response.json()["errors"]["AMT_CREDIT"]


# --------------------------------------------------------------------------- bad input


def test_unknown_client_is_404_with_a_clear_message(api: TestClient) -> None:
    for path in ("/clients/1", "/clients/1/score", "/clients/1/explanation"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json()["detail"] == "Client 1 inconnu : aucun dossier ne porte cet identifiant."
    response = api.post("/clients/1/what-if?lang=en", json={"overrides": {}})
    assert response.status_code == 404 and response.json()["detail"].startswith("Unknown client 1")


@pytest.mark.parametrize(("overrides", "field", "fr_words", "en_words"), [
    ({"NOT_A_FIELD": 1}, "NOT_A_FIELD", "champ inconnu", "unknown"),
    ({"DAYS_BIRTH": -20000}, "DAYS_BIRTH", "non modifiable", "non-editable"),
    ({"AMT_CREDIT": "beaucoup"}, "AMT_CREDIT", "nombre attendu", "a number is expected"),
    ({"DAYS_EMPLOYED": -730.5}, "DAYS_EMPLOYED", "entier", "integer"),
    ({"DAYS_EMPLOYED": True}, "DAYS_EMPLOYED", "entier", "integer"),
    ({"AMT_ANNUITY": 2e6}, "AMT_ANNUITY", "hors limites, doit être compris entre 100\u202f€ et 1\u202f000\u202f000\u202f€",
     "is out of range, must be between €100 and €1,000,000"),
    ({"AMT_CREDIT": 10.0}, "AMT_CREDIT", "Montant du crédit : 10\u202f€ hors limites", "Credit amount: €10 is out"),
    ({"AMT_CREDIT": 1e300}, "AMT_CREDIT", "hors limites", "out of range"),
    ({"DAYS_EMPLOYED": 500}, "DAYS_EMPLOYED", "compris entre", "between"),
    ({"NAME_HOUSING_TYPE": "Castle"}, "NAME_HOUSING_TYPE", "valeur inconnue « Castle »", 'unknown value "Castle"'),
    ({"DAYS_EMPLOYED": None}, "DAYS_EMPLOYED", "obligatoire", "required"),
    ({"NAME_HOUSING_TYPE": None}, "NAME_HOUSING_TYPE", "obligatoire", "required"),
])
def test_bad_overrides_are_422_per_field(api: TestClient, train_id: int, overrides: dict, field: str,
                                         fr_words: str, en_words: str) -> None:
    fr = api.post(f"/clients/{train_id}/what-if", json={"overrides": overrides})
    en = api.post(f"/clients/{train_id}/what-if?lang=en", json={"overrides": overrides})
    assert fr.status_code == en.status_code == 422
    assert fr.json()["detail"].startswith("Données invalides")
    assert set(fr.json()["errors"]) == {field}
    assert fr_words in fr.json()["errors"][field]
    assert en_words in en.json()["errors"][field]


#: Editable raw fields that are protected attributes (the catalogue's flag): never changed by a what-if.
PROTECTED = {"NAME_FAMILY_STATUS": "Married", "CNT_CHILDREN": 0, "CNT_FAM_MEMBERS": 2.0}


def test_protected_fields_are_the_catalogues() -> None:
    assert set(PROTECTED) == {n for n, spec in catalogue.RAW_FIELDS.items()
                              if catalogue.CATALOGUE[spec.feature or n].protected}


@pytest.mark.parametrize("field", sorted(PROTECTED))
def test_what_if_refuses_protected_fields_with_a_specific_422(api: TestClient, train_id: int, log: PredictionLog,
                                                              field: str) -> None:
    """As in the dashboard's form, which does not offer them: a protected attribute is never a change."""
    before = log.count()
    label = catalogue.RAW_FIELDS[field]
    for lang, words, name in (("fr", "attribut protégé, il ne peut pas être modifié", label.label_fr),
                              ("en", "protected attribute, it cannot be changed", label.label_en)):
        response = api.post(f"/clients/{train_id}/what-if?lang={lang}",
                            json={"overrides": {field: PROTECTED[field], "AMT_CREDIT": 300_000.0}})
        assert response.status_code == 422, response.text
        errors = response.json()["errors"]
        assert set(errors) == {field}
        assert errors[field].startswith(f"{name} ({field})") and words in errors[field]
        check = api.post(f"/what-if/check?lang={lang}&units=raw", json={"overrides": {field: PROTECTED[field]}})
        assert check.json()["errors"] == errors and check.json()["raw"] == {}
    assert log.count() == before  # nothing scored, nothing logged


def test_malformed_bodies_are_422(api: TestClient, train_id: int) -> None:
    url = f"/clients/{train_id}/what-if"
    for content in (b"{not json", b"[]", b'"text"', b'{"overrides": []}', b'{"overrides": {}, "x": 1}', b""):
        response = api.post(url, content=content, headers={"content-type": "application/json"})
        assert response.status_code == 422, content
        assert response.json()["errors"], content
    response = api.get(f"/clients/{train_id}/explanation?top=0")
    assert response.status_code == 422 and "top" in response.json()["errors"]
    response = api.get("/clients/abc/score")
    assert response.status_code == 422 and "client_id" in response.json()["errors"]


def test_bad_new_application_is_422_per_field(api: TestClient, raw: dict[str, pl.DataFrame]) -> None:
    record = raw["application_test"].row(0, named=True)
    broken = dict(record, DAYS_BIRTH="old", CODE_GENDER="Z", JUNK=1)
    del broken["CNT_CHILDREN"]
    body = api.post("/score?lang=en", json={"record": broken, "history": {"bureau": [{"SK_ID_BUREAU": "x"}]}})
    assert body.status_code == 422
    errors = body.json()["errors"]
    assert "integer" in errors["record.DAYS_BIRTH"]
    assert "unknown value" in errors["record.CODE_GENDER"]
    assert "unknown" in errors["record.JUNK"]
    assert "required" in errors["record.CNT_CHILDREN"]
    assert "integer" in errors["history.bureau.0.SK_ID_BUREAU"]
    assert "required" in errors["history.bureau.0.CREDIT_ACTIVE"]


def test_oversized_bodies_are_413(api: TestClient, train_id: int) -> None:
    url = f"/clients/{train_id}/what-if"
    big = b'{"overrides": {}, "pad": "' + b"x" * (MAX_BODY_BYTES + 10) + b'"}'
    response = api.post(url, content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413 and "volumineuse" in response.json()["detail"]

    def chunks():  # no Content-Length: the streamed size is what counts
        for _ in range(40):
            yield b"x" * 50_000

    response = api.post(url, content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert api.get("/health").status_code == 200


def test_internal_error_is_a_generic_500_and_the_service_goes_on(
        app, small_run: Paths, train_id: int, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    secret = "secret-internal-detail-42"

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(secret)

    api = TestClient(app, raise_server_exceptions=True)  # a leaked exception would fail the test
    monkeypatch.setattr(app.state.client, "score", boom)
    monkeypatch.setattr(app.state.client, "what_if", boom)
    import logging

    logger = logging.getLogger("scoring")
    logger.addHandler(caplog.handler)
    try:
        for response in (api.get(f"/clients/{train_id}/score"),
                         api.post(f"/clients/{train_id}/what-if?lang=en", json={"overrides": {}})):
            assert response.status_code == 500
            assert secret not in response.text and "Traceback" not in response.text
            assert "RuntimeError" not in response.text
        assert response.json() == {"detail": "Internal error of the scoring service; the incident has been logged."}
    finally:
        logger.removeHandler(caplog.handler)
    assert secret in caplog.text and "Traceback" in caplog.text  # logged server-side
    monkeypatch.undo()
    assert api.get(f"/clients/{train_id}/score").status_code == 200
    assert api.get("/health").json()["status"] == "ok"


def test_user_errors_are_422_and_missing_artefacts_503(app, train_id: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from scoring.errors import ArtefactMissing, UserError

    api = TestClient(app)
    monkeypatch.setattr(app.state.client, "explanation",
                        lambda *a, **k: (_ for _ in ()).throw(UserError("application field X: value 'y' is bad")))
    response = api.get(f"/clients/{train_id}/explanation")
    assert response.status_code == 422 and "value 'y' is bad" in response.json()["errors"]["body"]
    monkeypatch.setattr(app.state.client, "explanation",
                        lambda *a, **k: (_ for _ in ()).throw(ArtefactMissing("/secret/path missing")))
    response = api.get(f"/clients/{train_id}/explanation?lang=en")
    assert response.status_code == 503 and "/secret" not in response.text
    assert response.json()["detail"] == "Scoring service temporarily unavailable."


def test_unknown_route_and_method(api: TestClient) -> None:
    assert api.get("/nowhere").json() == {"detail": "Ressource introuvable."}
    response = api.delete("/health", headers={"Accept-Language": "en"})
    assert response.status_code == 405 and response.json()["detail"].startswith("Method not allowed")


# --------------------------------------------------------------------------- fuzzing

_JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**12, max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
)
_JSON_VALUES = st.one_of(_JSON_SCALARS, st.lists(_JSON_SCALARS, max_size=3),
                         st.dictionaries(st.text(max_size=5), _JSON_SCALARS, max_size=2))
_APP_COLUMNS = TABLES["application_test"].column_names


def _column_values(name: str) -> st.SearchStrategy:
    """Plausible and implausible values for a raw application column."""
    col = TABLES["application_test"].column(name)
    typed: st.SearchStrategy
    if col.categories:
        typed = st.sampled_from(col.categories)
    elif col.kind == "int":
        typed = st.integers(min_value=-400_000, max_value=400_000)
    else:
        typed = st.floats(min_value=-1e7, max_value=1e8)
    return st.one_of(typed, typed, _JSON_VALUES)


_OVERRIDE_KEYS = st.sampled_from(sorted(catalogue.RAW_FIELDS) * 3 + _APP_COLUMNS[:20] + ["", "junk", "AMT"])
_OVERRIDES = st.dictionaries(_OVERRIDE_KEYS, st.deferred(lambda: _JSON_VALUES), max_size=5).flatmap(
    lambda d: st.fixed_dictionaries({k: _column_values(k) if k in _APP_COLUMNS else _JSON_VALUES for k in d}))


def _post_json(api: TestClient, url: str, payload: Any):
    content = json.dumps(payload, allow_nan=True).encode()
    return api.post(url, content=content, headers={"content-type": "application/json"})


@FUZZ
@given(overrides=_OVERRIDES, lang=st.sampled_from(["fr", "en", "xx"]))
def test_fuzz_what_if_never_5xx(api: TestClient, train_id: int, overrides: dict, lang: str) -> None:
    response = _post_json(api, f"/clients/{train_id}/what-if?lang={lang}", {"overrides": overrides})
    assert response.status_code in (200, 422), response.text
    assert "detail" in response.json() or "after" in response.json()


@FUZZ
@given(data=st.data())
def test_fuzz_new_application_never_5xx(api: TestClient, raw: dict[str, pl.DataFrame], data: st.DataObject) -> None:
    record = {k: v for k, v in raw["application_test"].row(0, named=True).items() if k != "SK_ID_CURR"}
    edits = data.draw(st.dictionaries(st.sampled_from(_APP_COLUMNS + ["JUNK", "TARGET"]),
                                      st.just(None), max_size=4))
    for key in edits:
        record[key] = data.draw(_column_values(key) if key in _APP_COLUMNS else _JSON_VALUES)
    if data.draw(st.booleans()):
        record.pop(data.draw(st.sampled_from(_APP_COLUMNS)), None)
    history = data.draw(st.one_of(st.none(), st.fixed_dictionaries({}, optional={
        "bureau": st.lists(st.dictionaries(st.sampled_from(TABLES["bureau"].column_names), _JSON_SCALARS,
                                           max_size=4), max_size=2),
        "junk_table": st.just([]),
    })))
    payload = {"record": record} if history is None else {"record": record, "history": history}
    response = _post_json(api, "/score", payload)
    assert response.status_code in (200, 409, 422), response.text  # 409: an existing client's id


def test_schemathesis_finds_no_failure_including_the_response_schemas(app) -> None:
    """Schema-driven fuzzing of every operation (positive and negative cases) with schemathesis's
    default checks: no 5xx, every status code and body as documented (error bodies included),
    schema-valid input accepted. One exception: a lasso region's x and y lists must have the
    same length, which JSON Schema cannot say, so positive data may be refused there."""
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import given as h_given
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [op.ok() for op in schema.get_all_operations()]
    assert {f"{op.method.upper()} {op.path}" for op in operations} >= {
        "GET /health", "GET /model", "GET /clients/{client_id}", "GET /clients/{client_id}/score",
        "GET /clients/{client_id}/explanation", "POST /clients/{client_id}/what-if", "POST /score",
        "GET /population", "GET /population/comparison", "GET /population/scatter", "POST /population/selection",
        "GET /clients/{client_id}/what-if/form", "GET /what-if/form", "POST /what-if/check"}
    failures: dict[str, str] = {}
    for op in operations:
        strategy = op.as_strategy(generation_mode=schemathesis.GenerationMode.NEGATIVE) | op.as_strategy()
        excluded = [positive_data_acceptance] if op.path == "/population/selection" else []

        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @h_given(case=strategy)
        def check(case) -> None:
            response = case.call()
            try:
                case.validate_response(response, excluded_checks=excluded)
            except Exception as exc:  # noqa: BLE001 - every failure is collected, then reported
                failures.setdefault(f"{op.method.upper()} {op.path}", f"{exc}"[:600])

        check()
    assert not failures, failures


# --------------------------------------------------------------------------- command line


def test_cli_api_serves_on_loopback_by_default(small_run: Paths, monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    """uvicorn gets the app factory; each worker builds the app for the run named by the env."""
    import uvicorn

    from scoring.api.app import ENV_PREDICTION_LOG, app_from_env
    from scoring.cli.commands import build_parser

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    for name in ("SCORING_DATA_DIR", "SCORING_CACHE_DIR", "SCORING_API_DEV", "SCORING_API_ALLOWED_HOSTS",
                 "SCORING_API_CORS_ORIGINS"):
        monkeypatch.delenv(name, raising=False)
    args = build_parser().parse_args(["api"])
    local = Paths(data_dir=small_run.data_dir, cache_dir=small_run.cache_dir)
    assert cli_api(args, local) == 0
    (app, kw), = calls
    assert app == "scoring.api.app:app_from_env" and kw["factory"] is True
    assert (kw["host"], kw["port"], kw["workers"]) == ("127.0.0.1", 8000, 1)
    monkeypatch.setenv(ENV_PREDICTION_LOG, str(tmp_path / "l.sqlite"))
    worker = TestClient(app_from_env(), base_url="http://127.0.0.1:8000")
    health = worker.get("/health").json()
    assert worker.get("/clients").status_code == 401  # without --dev, a token is required
    assert worker.get("/health", headers={"Host": "rebound.example.net"}).status_code == 400
    from scoring.model.registry import current_version

    assert health["status"] == "ok" and health["model_version"] == current_version(local)
    assert isinstance(args, argparse.Namespace)


def test_cli_api_refuses_to_start_without_artefacts(tmp_path: Path) -> None:
    from scoring.cli.commands import build_parser
    from scoring.errors import UserError

    args = build_parser().parse_args(["api"])
    with pytest.raises(UserError):
        cli_api(args, Paths(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache"))
