"""One contract, two implementations: InProcessClient and HttpClient give the same answers.

Every test runs against the in-process client, the HTTP client over FastAPI's
TestClient transport, and the HTTP client over a real uvicorn server on a
free loopback port; `test_same_answers` compares them call by call.
"""

from __future__ import annotations

import math
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import polars as pl
import pytest
import uvicorn
from fastapi.testclient import TestClient

from scoring.api.app import create_app
from scoring.data.schema import TABLES
from scoring.model.decision import risk_level
from scoring.model.points import points_from_probability
from scoring.paths import Paths
from scoring.service.http import HttpClient, ScoringAPIError
from scoring.service.inprocess import InProcessClient
from scoring.service.prediction_log import PredictionLog
from scoring.text.concepts import CONCEPTS
from scoring.service.protocol import (
    Comparison,
    Explanation,
    InvalidOverride,
    InvalidQuery,
    KnownClient,
    OverrideCheck,
    PopulationInfo,
    Recourse,
    ScatterSample,
    Score,
    ScoringClient,
    Selection,
    UnknownClient,
    WhatIf,
    WhatIfForm,
)

IMPLEMENTATIONS = ("inprocess", "http-testclient", "http-uvicorn")


@pytest.fixture(scope="module")
def inproc(small_run: Paths, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessClient]:
    log = PredictionLog(tmp_path_factory.mktemp("contract_log") / "predictions.sqlite")
    client = InProcessClient(small_run, source="dashboard", prediction_log=log)
    yield client
    client.close()


@pytest.fixture(scope="module")
def app(small_run: Paths, inproc: InProcessClient):
    return create_app(small_run, client=inproc)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server_url(app) -> Iterator[str]:
    """A real uvicorn server in a thread on a free loopback port, stopped at the end."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def clients(inproc: InProcessClient, app, server_url: str) -> Iterator[dict[str, Any]]:
    testclient = TestClient(app)
    real = HttpClient(server_url, timeout=30)
    yield {"inprocess": inproc, "http-testclient": HttpClient(http=testclient), "http-uvicorn": real}
    real.close()
    testclient.close()


@pytest.fixture(params=IMPLEMENTATIONS)
def client(request: pytest.FixtureRequest, clients: dict[str, Any]) -> Any:
    return clients[request.param]


@pytest.fixture(scope="module")
def raw(small_run: Paths) -> dict[str, pl.DataFrame]:
    return {name: pl.read_parquet(small_run.interim / s.parquet_name) for name, s in TABLES.items()}


@pytest.fixture(scope="module")
def ids(inproc: InProcessClient) -> dict[str, int]:
    """One refused and one accepted client (first of each in id order), and a new client."""
    store = inproc.store
    out: dict[str, int] = {}
    for cid in store.client_ids().tolist():
        key = "refused" if store.lookup(cid).refused else "accepted"
        out.setdefault(key, int(cid))
        if len(out) == 2:
            break
    sample = store.features.filter(pl.col("SAMPLE") == "new").get_column("SK_ID_CURR")
    out["new"] = int(sample[0])
    return out


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _check_explanation(e: Explanation, top: int, n_features: int) -> None:
    assert len(e.contributions) == min(top, n_features)
    magnitudes = [abs(c.shap) for c in e.contributions]
    assert magnitudes == sorted(magnitudes, reverse=True)
    total = e.base_value + sum(c.shap for c in e.contributions) + e.other_factors
    assert total == pytest.approx(_logit(e.score.probability), abs=1e-6)
    assert all(c.label and c.display_value for c in e.contributions)
    assert [g.rank for g in e.global_importance] == list(range(1, n_features + 1))
    # every concept, adding up to the score in points; at most four reasons, none protected
    assert e.base_points + sum(k.points for k in e.concepts) == pytest.approx(e.score.points, abs=1e-6)
    assert e.score.points == pytest.approx(points_from_probability(e.score.probability))
    assert (e.score.points <= e.score.threshold_points) == e.score.refused
    assert len(e.concepts) == len(CONCEPTS) and len(e.principal_reasons) <= 4
    assert not any(k.protected for k in e.concepts if k.concept in {r.concept for r in e.principal_reasons})
    assert all((r.points < 0) == e.score.refused and r.sentence for r in e.principal_reasons)


# --------------------------------------------------------------------------- the contract


def test_implements_the_protocol(client: Any) -> None:
    assert isinstance(client, ScoringClient)


def test_health_and_ids(client: Any, inproc: InProcessClient) -> None:
    health = client.health()
    assert health["status"] == "ok"
    assert health["model_version"] == inproc.store.model_version
    assert health["n_clients"] == len(client.client_ids())
    assert client.client_ids() == inproc.store.client_ids().tolist()


def test_score_follows_the_threshold(client: Any, ids: dict[str, int]) -> None:
    for key in ("refused", "accepted"):
        s = client.score(ids[key])
        assert isinstance(s, Score) and s.client_id == ids[key]
        assert 0.0 < s.probability < 1.0
        assert s.refused == (key == "refused") == (s.probability >= s.threshold)
        assert s.risk_level == risk_level(s.probability, s.threshold)


@pytest.mark.parametrize("top", [1, 7, 10_000 // 20])
def test_explanation(client: Any, ids: dict[str, int], inproc: InProcessClient, top: int) -> None:
    e = client.explanation(ids["refused"], top=top, lang="en")
    n = len(inproc.store.feature_names)
    _check_explanation(e, top, n)
    if top >= n:
        assert e.other_factors == 0.0


def test_explanation_concepts_and_reasons(client: Any, ids: dict[str, int], inproc: InProcessClient) -> None:
    """The same concepts and reasons through every implementation, in the requested language."""
    for key in ("refused", "accepted"):
        e = client.explanation(ids[key], top=2, lang="en")
        expected = inproc.explanation(ids[key], top=2, lang="en")
        assert e.concepts == expected.concepts and e.principal_reasons == expected.principal_reasons
        assert e.protected_withheld == expected.protected_withheld
        assert e.principal_reasons and all(r.sentence.startswith(("Your", "The", "How"))
                                           for r in e.principal_reasons)
        assert all(f.display_value for k in e.concepts for f in k.features)


def test_profile(client: Any, ids: dict[str, int]) -> None:
    profile = client.profile(ids["new"], lang="fr")
    assert profile["client_id"] == ids["new"] and profile["sample"] == "new"
    assert {f["key"] for f in profile["facts"]} >= {"age", "income", "credit", "family_status", "children"}


def test_what_if_without_change_keeps_the_score(client: Any, ids: dict[str, int]) -> None:
    w = client.what_if(ids["accepted"], {}, top=5)
    assert isinstance(w, WhatIf) and w.overrides == {}
    assert w.after.score.probability == pytest.approx(w.before.score.probability, abs=1e-9)
    assert [c.feature for c in w.after.contributions] == [c.feature for c in w.before.contributions]


def test_what_if_with_numpy_values(client: Any, ids: dict[str, int]) -> None:
    w = client.what_if(ids["refused"], {"AMT_CREDIT": np.float64(250_000.0), "DAYS_EMPLOYED": np.int64(-1000)},
                       top=3)
    assert w.overrides == {"AMT_CREDIT": 250_000.0, "DAYS_EMPLOYED": -1000}
    _check_explanation(w.after, 3, len(w.after.global_importance))


def test_errors(client: Any, ids: dict[str, int]) -> None:
    with pytest.raises(UnknownClient):
        client.score(1)
    with pytest.raises(UnknownClient):
        client.profile(-5)
    with pytest.raises(UnknownClient):
        client.what_if(1, {"AMT_CREDIT": 100_000.0})
    with pytest.raises(ValueError, match="top"):
        client.explanation(ids["refused"], top=0)
    with pytest.raises(InvalidOverride) as info:
        client.what_if(ids["refused"], {"AMT_CREDIT": "a lot", "NOPE": 1, "DAYS_EMPLOYED": 2.5}, lang="en")
    assert set(info.value.errors) == {"AMT_CREDIT", "NOPE", "DAYS_EMPLOYED"}
    assert "number" in info.value.errors["AMT_CREDIT"]


@pytest.mark.parametrize(("field", "value"), [("NAME_FAMILY_STATUS", "Widow"), ("CNT_CHILDREN", 2),
                                              ("CNT_FAM_MEMBERS", 3.0)])
def test_what_if_refuses_protected_fields(client: Any, ids: dict[str, int], field: str, value: Any) -> None:
    """Family situation and children are never a change to simulate, whichever client asks."""
    with pytest.raises(InvalidOverride) as info:
        client.what_if(ids["refused"], {field: value, "AMT_CREDIT": 250_000.0}, lang="en")
    assert set(info.value.errors) == {field}
    assert f"({field}): protected attribute, it cannot be changed in a simulation" in info.value.errors[field]
    assert field not in {f.name for f in client.what_if_form(ids["refused"]).fields}
    assert set(client.check_overrides({field: value}, "fr", "raw").errors) == {field}


def test_score_application_matches_the_batch(client: Any, raw: dict[str, pl.DataFrame], ids: dict[str, int],
                                             inproc: InProcessClient) -> None:
    cid = ids["new"]
    record = raw["application_test"].filter(pl.col("SK_ID_CURR") == cid).row(0, named=True)
    bureau = raw["bureau"].filter(pl.col("SK_ID_CURR") == cid)
    history = {t: raw[t].filter(pl.col("SK_ID_CURR") == cid).to_dicts()
               for t in ("bureau", "previous_application", "POS_CASH_balance", "installments_payments",
                         "credit_card_balance")}
    history["bureau_balance"] = raw["bureau_balance"].join(bureau.select("SK_ID_BUREAU"), on="SK_ID_BUREAU",
                                                            how="semi").to_dicts()
    anonymous = {k: v for k, v in record.items() if k != "SK_ID_CURR"}  # the service knows this id
    e = client.score_application(anonymous, history, top=4)
    assert e.score.client_id is None
    assert e.score.probability == pytest.approx(inproc.store.lookup(cid).probability, abs=1e-9)
    with pytest.raises(InvalidOverride) as info:
        client.score_application(dict(record, CODE_GENDER="?"), None)
    assert set(info.value.errors) == {"record.CODE_GENDER"}


def test_score_application_refuses_an_existing_clients_id(client: Any, raw: dict[str, pl.DataFrame],
                                                          ids: dict[str, int]) -> None:
    record = raw["application_test"].filter(pl.col("SK_ID_CURR") == ids["new"]).row(0, named=True)
    for cid in (ids["new"], ids["refused"]):
        with pytest.raises(KnownClient) as info:
            client.score_application(dict(record, SK_ID_CURR=cid), None, lang="en")
        assert info.value.client_id == cid
        assert str(info.value).startswith(f"Client {cid} already exists")
        assert f"POST /clients/{cid}/what-if" in str(info.value)


def test_model_card(client: Any, inproc: InProcessClient) -> None:
    card = client.model_card("en")
    assert card["model_version"] == inproc.store.model_version
    assert card["threshold"] == inproc.store.threshold
    assert [f["name"] for f in card["features"]] == inproc.store.feature_names
    # the score scale, explained, with the threshold on it; each feature's concept
    scale = card["score_scale"]
    assert scale["threshold_points"] == pytest.approx(points_from_probability(inproc.store.threshold))
    assert scale["pdo"] == 20 and "points" in scale["note"] and "double" in scale["note"]
    assert {c["key"] for c in card["concepts"]} == set(CONCEPTS)
    assert all(f["concept"] in CONCEPTS for f in card["features"])


def test_recourse_options_are_granted_when_applied(client: Any, ids: dict[str, int], inproc: InProcessClient) -> None:
    """The same options through every client, each granted and warning-free when applied as a what-if."""
    refused = [cid for cid in inproc.client_ids() if inproc.score(cid).refused][:30]
    seen = 0
    for cid in refused:
        result = client.recourse(cid, "en")
        assert isinstance(result, Recourse) and result.refused and result.margin <= 0 and result.headroom is None
        for option in result.options:
            seen += 1
            applied = client.what_if(cid, option.changes, top=1, lang="en")
            assert not applied.after.score.refused and applied.warnings == []
            assert applied.after.score.probability == pytest.approx(option.probability, abs=1e-12)
    assert seen > 0
    granted = client.recourse(ids["accepted"], "fr")
    assert not granted.refused and granted.options == [] and granted.margin > 0
    with pytest.raises(UnknownClient):
        client.recourse(424242424)


def test_what_if_warns_on_far_values_only(client: Any, ids: dict[str, int]) -> None:
    far = client.what_if(ids["accepted"], {"AMT_CREDIT": 9_000_000.0}, top=2, lang="en")
    assert far.warnings and far.warnings[0].kind == "range" and "AMT_CREDIT" in far.warnings[0].fields
    assert far.after.warnings == far.warnings
    form = {f.name: f.default for f in client.what_if_form(ids["accepted"]).fields}
    own = client.what_if(ids["accepted"], {"AMT_CREDIT": form["AMT_CREDIT"]}, top=2)
    assert own.warnings == []


# --------------------------------------------------------------------------- population sections


def test_population_lists_the_features_of_the_store(client: Any, inproc: InProcessClient) -> None:
    info = client.population()
    assert isinstance(info, PopulationInfo)
    frame = inproc.store.features
    assert info.n_clients == frame.height and info.threshold == inproc.store.threshold
    assert {f.name for f in info.features} == set(frame.columns) - {"SK_ID_CURR", "TARGET", "SAMPLE"}
    assert set(info.importance) == {f.name for f in info.features}
    assert {f.kind for f in info.features} == {"numeric", "categorical"}


def test_comparison_counts_every_known_value(client: Any, ids: dict[str, int], inproc: InProcessClient) -> None:
    frame = inproc.store.features
    c = client.comparison("AMT_CREDIT", "all", ids["refused"], "fr")
    assert isinstance(c, Comparison) and c.client_id == ids["refused"]
    assert sum(c.subgroups[0].counts) == frame["AMT_CREDIT"].drop_nulls().drop_nans().len()
    row = frame.filter(pl.col("SK_ID_CURR") == ids["refused"]).row(0, named=True)
    assert c.client_value == pytest.approx(row["AMT_CREDIT"])
    two = client.comparison("NAME_CONTRACT_TYPE", "granted_refused", ids["accepted"])
    assert [g.key for g in two.subgroups] == ["granted", "refused"] and two.kind == "categorical"
    assert sum(two.subgroups[1].counts) == sum(inproc.store.lookup(i).refused for i in frame["SK_ID_CURR"])
    assert client.comparison("AMT_CREDIT", "similar", ids["new"]).subgroups[0].size == 500


def test_scatter_and_selection(client: Any, ids: dict[str, int], inproc: InProcessClient) -> None:
    s = client.scatter("AMT_CREDIT", "EXT_SOURCE_2", ids["accepted"], max_points=500)
    assert isinstance(s, ScatterSample) and len(s.client_ids) <= 501
    assert s.client is not None and s.client.client_id == ids["accepted"]
    assert s.client.probability == inproc.score(ids["accepted"]).probability
    xs = inproc.store.features["AMT_CREDIT"].to_numpy()
    ys = inproc.store.features["EXT_SOURCE_2"].to_numpy()
    box = {"type": "rect", "x0": float(np.nanquantile(xs, 0.2)), "x1": float(np.nanquantile(xs, 0.8)),
           "y0": 0.2, "y1": 0.7}
    sel = client.selection("AMT_CREDIT", "EXT_SOURCE_2", box)
    assert isinstance(sel, Selection)
    inside = (xs >= box["x0"]) & (xs <= box["x1"]) & (ys >= 0.2) & (ys <= 0.7)
    assert sel.selection.count == int(inside.sum()) and sel.population.count == len(xs)
    picked = client.selection(client_ids=s.client_ids[:40])
    assert picked.selection.count == 40 and picked.selection.mean_probability == pytest.approx(
        float(np.mean(s.probability[:40])))


def test_what_if_form_and_check(client: Any, ids: dict[str, int], raw: dict[str, pl.DataFrame]) -> None:
    form = client.what_if_form(ids["refused"])
    assert isinstance(form, WhatIfForm) and form.client_id == ids["refused"]
    frame = pl.concat([raw["application_train"].drop("TARGET"), raw["application_test"]], how="diagonal_relaxed")
    record = frame.filter(pl.col("SK_ID_CURR") == ids["refused"]).row(0, named=True)
    fields = {f.name: f for f in form.fields}
    assert fields["AMT_CREDIT"].default == record["AMT_CREDIT"]
    assert fields["NAME_CONTRACT_TYPE"].default == record["NAME_CONTRACT_TYPE"]
    blank = client.what_if_form()
    assert blank.client_id is None and [f.name for f in blank.fields] == list(fields)
    assert all(f.default is None for f in blank.fields)
    check = client.check_overrides({"AMT_CREDIT": "1 500,5", "DAYS_EMPLOYED": "2", "AMT_ANNUITY": "x"}, "en")
    assert isinstance(check, OverrideCheck)
    assert check.raw == {"AMT_CREDIT": 1500.5, "DAYS_EMPLOYED": -730} and set(check.errors) == {"AMT_ANNUITY"}
    w = client.what_if(ids["refused"], check.raw, top=3)
    assert w.overrides == check.raw


def test_population_errors(client: Any, ids: dict[str, int]) -> None:
    with pytest.raises(InvalidQuery) as info:
        client.comparison("NOPE", "all", ids["refused"])
    assert set(info.value.errors) == {"feature"}
    with pytest.raises(InvalidQuery):
        client.comparison("AMT_CREDIT", "everyone", ids["refused"])
    with pytest.raises(InvalidQuery) as info:
        client.scatter("AMT_CREDIT", "NAME_CONTRACT_TYPE")
    assert set(info.value.errors) == {"y"}
    with pytest.raises(InvalidQuery):
        client.selection("AMT_CREDIT", "EXT_SOURCE_2", {"type": "circle"})
    for call in (lambda: client.comparison("AMT_CREDIT", "all", 1), lambda: client.scatter("AMT_CREDIT", "AMT_CREDIT", -3),
                 lambda: client.what_if_form(1)):
        with pytest.raises(UnknownClient):
            call()
    with pytest.raises(ValueError):
        client.check_overrides({}, units="metres")


def test_population_comes_from_the_clients_own_store(small_run: Paths, tmp_path_factory: pytest.TempPathFactory,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The in-process client builds the population from the table its store already holds."""
    client = InProcessClient(small_run, prediction_log=PredictionLog(
        tmp_path_factory.mktemp("own_store") / "p.sqlite"))
    try:
        def no_read(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("the feature table was read a second time")

        for name in ("read_parquet", "scan_parquet"):
            monkeypatch.setattr(pl, name, no_read)
        assert client.population().n_clients == client.store.features.height
        assert client.comparison("AMT_CREDIT", "similar", client.client_ids()[0]).subgroups[0].size == 500
    finally:
        client.close()


# --------------------------------------------------------------------------- same answers


def _outcome(call: Callable[[Any], Any], client: Any) -> Any:
    try:
        return ("ok", call(client))
    except (UnknownClient, InvalidOverride, ValueError) as exc:
        return (type(exc).__name__, getattr(exc, "errors", None), getattr(exc, "client_id", None))


def test_same_answers(clients: dict[str, Any], ids: dict[str, int], raw: dict[str, pl.DataFrame]) -> None:
    """Identical values (dataclasses compared field by field, floats exactly) for identical calls."""
    refused, accepted, new = ids["refused"], ids["accepted"], ids["new"]
    record = raw["application_test"].filter(pl.col("SK_ID_CURR") == new).row(0, named=True)
    calls: list[Callable[[Any], Any]] = [
        lambda c: c.health(),
        lambda c: c.client_ids(),
        lambda c: c.profile(refused, "fr"),
        lambda c: c.profile(new, "en"),
        lambda c: c.score(accepted),
        lambda c: c.explanation(refused, 10, "fr"),
        lambda c: c.explanation(accepted, 3, "en"),
        lambda c: c.what_if(refused, {"AMT_INCOME_TOTAL": 900_000.0, "NAME_HOUSING_TYPE": "With parents"}, 6, "fr"),
        lambda c: c.what_if(refused, {"AMT_INCOME_TOTAL": 900_000.0, "NAME_FAMILY_STATUS": "Widow"}, 6, "fr"),
        lambda c: c.what_if(accepted, {"DAYS_EMPLOYED": 365243, "FLAG_OWN_CAR": "Y"}, 4, "en"),
        lambda c: c.what_if(accepted, {"AMT_ANNUITY": -1, "FLAG_OWN_CAR": "maybe", "CNT_CHILDREN": 1}, 4, "en"),
        lambda c: c.what_if(accepted, {"AMT_CREDIT": float("nan")}, 4, "fr"),
        lambda c: c.what_if(424242424, {"AMT_CREDIT": 1.0}),
        lambda c: c.what_if(refused, {"AMT_CREDIT": 9_000_000.0, "AMT_ANNUITY": 100.0}, 3, "fr"),
        lambda c: c.recourse(refused, "fr"),
        lambda c: c.recourse(accepted, "en"),
        lambda c: c.recourse(424242424),
        lambda c: c.score_application(record, None, 5, "fr"),
        lambda c: c.score_application({k: v for k, v in record.items() if k != "SK_ID_CURR"}, None, 5, "fr"),
        lambda c: c.score_application({"SK_ID_CURR": 1}, None, 5, "en"),
        lambda c: c.model_card("fr"),
        lambda c: c.explanation(10**30),
        lambda c: c.population(),
        lambda c: c.comparison("AMT_CREDIT", "all", refused, "fr"),
        lambda c: c.comparison("EXT_SOURCE_2", "age_band", accepted, "en"),
        lambda c: c.comparison("NAME_CONTRACT_TYPE", "gender", new),
        lambda c: c.comparison("AMT_CREDIT", "similar", None),
        lambda c: c.comparison("NOPE", "all", refused, "en"),
        lambda c: c.comparison("AMT_CREDIT", "all", 424242424),
        lambda c: c.scatter("AMT_CREDIT", "EXT_SOURCE_2", refused, 800),
        lambda c: c.scatter("EXT_SOURCE_2", "AMT_ANNUITY"),
        lambda c: c.scatter("AMT_CREDIT", "EXT_SOURCE_2", refused, 0),
        lambda c: c.selection(),
        lambda c: c.selection("AMT_CREDIT", "EXT_SOURCE_2", {"type": "rect", "x0": 1e5, "x1": 6e5, "y0": 0.1,
                                                              "y1": 0.5}),
        lambda c: c.selection("AMT_CREDIT", "EXT_SOURCE_2", {"type": "poly", "x": [1e5, 9e5, 5e5],
                                                              "y": [0.1, 0.2, 0.9]}),
        lambda c: c.selection(client_ids=[refused, accepted, new, 1]),
        lambda c: c.selection("AMT_CREDIT", None, {"type": "rect"}, lang="en"),
        lambda c: c.what_if_form(accepted),
        lambda c: c.what_if_form(424242424),
        lambda c: c.what_if_form(),
        lambda c: c.check_overrides({"AMT_CREDIT": "12 000,5", "DAYS_EMPLOYED": "", "X": 1}, "fr"),
        lambda c: c.check_overrides({"AMT_CREDIT": 1e300, "DAYS_EMPLOYED": -730.0}, "en", "raw"),
        lambda c: c.check_overrides({"AMT_CREDIT": 1e3, "CNT_FAM_MEMBERS": 2.0}, "en", "raw"),
    ]
    for i, call in enumerate(calls):
        outcomes = {name: _outcome(call, c) for name, c in clients.items()}
        reference = outcomes["inprocess"]
        for name, outcome in outcomes.items():
            assert outcome == reference, f"call #{i}: {name} differs from inprocess"


def test_concurrent_calls_give_the_sequential_answers(clients: dict[str, Any], ids: dict[str, int]) -> None:
    """One shared instance, many threads (Bokeh sessions, API workers): same results as one by one."""
    from concurrent.futures import ThreadPoolExecutor

    jobs = [
        ("score", (ids["refused"],)), ("explanation", (ids["accepted"], 5, "en")),
        ("what_if", (ids["refused"], {"AMT_CREDIT": 123_000.0}, 4, "fr")),
        ("what_if", (ids["accepted"], {"AMT_ANNUITY": 40_000.0}, 4, "en")),
        ("profile", (ids["new"], "fr")),
    ] * 4
    for name in ("inprocess", "http-uvicorn"):
        client = clients[name]
        expected = [getattr(client, method)(*args) for method, args in jobs]
        with ThreadPoolExecutor(max_workers=6) as pool:
            got = list(pool.map(lambda job: getattr(client, job[0])(*job[1]), jobs))
        assert got == expected, name


def test_http_client_reports_an_unreachable_api() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound but not listening: connection refused
        client = HttpClient(f"http://127.0.0.1:{port}", timeout=2)
        with pytest.raises(ScoringAPIError, match="unreachable"):
            client.health()
        client.close()


def test_monitoring_snapshot(client: Any, inproc: InProcessClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The served build's snapshot (stored by the small run's refresh-cache), the same everywhere;
    None (the API's 404) before one exists."""
    snapshot = client.monitoring()
    assert snapshot == inproc.monitoring() and snapshot["build_id"] == inproc.store.build_id
    income = snapshot["drift"]["features"]["AMT_INCOME_TOTAL"]
    assert income["psi"] >= 0 and income["status"] in ("stable", "watch", "shifted")
    monkeypatch.setattr(inproc, "monitoring", lambda: None)
    assert client.monitoring() is None


# --------------------------------------------------------------------------- a signed-in user's client


@pytest.fixture(scope="module")
def delegating(small_run: Paths, inproc: InProcessClient, tmp_path_factory: pytest.TempPathFactory):
    """The HTTP client as the signed-in dashboard uses it: a --delegate token on a secured API."""
    from scoring.api.security import ApiSecurity
    from scoring.security.tokens import TokenStore

    tokens = TokenStore(tmp_path_factory.mktemp("contract_tokens") / "tokens.json")
    token = tokens.add("dashboard", delegate=True)
    secured = create_app(small_run, client=inproc, security=ApiSecurity(tokens=tokens, allowed_hosts=("testserver",)))
    with TestClient(secured) as http:
        yield HttpClient(http=http, token=token)


def test_for_user_answers_as_the_shared_client(client: Any, ids: dict[str, int]) -> None:
    bound = client.for_user("alice.martin")
    assert isinstance(bound, ScoringClient)
    cid = ids["refused"]
    assert bound.profile(cid) == client.profile(cid)
    assert bound.score(cid) == client.score(cid)
    assert bound.what_if(cid, {"AMT_CREDIT": 250_000.0}, top=5) == client.what_if(cid, {"AMT_CREDIT": 250_000.0}, top=5)
    assert bound.client_ids() == client.client_ids() and bound.for_user(None).client_ids() == client.client_ids()


@pytest.mark.parametrize("implementation", ["inprocess", "http"])
def test_a_users_client_logs_the_clients_it_opens_and_scores_under_the_user(
        implementation: str, inproc: InProcessClient, delegating: HttpClient, ids: dict[str, int]) -> None:
    base = inproc if implementation == "inprocess" else delegating
    cid = ids["accepted"]
    before = inproc.log.count()
    bound = base.for_user("alice.martin")
    bound.profile(cid)
    bound.what_if(cid, {"AMT_CREDIT": 300_000.0}, top=5)
    with pytest.raises(UnknownClient):
        bound.profile(999_999_999)
    events = inproc.log.tail(20)[-(inproc.log.count() - before):]
    assert [(e["kind"], e["client_id"], e["user"]) for e in events] == [
        ("view", cid, "alice.martin"), ("what_if", cid, "alice.martin")]
