"""Unusual-value warnings: far edited values are flagged and named, a client's own values never are,
a new applicant's record is checked field by field against the training clients' range."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest

from scoring.data.schema import TABLES
from scoring.features.table import features_for_client
from scoring.model.novelty import NoveltyReference
from scoring.paths import Paths
from scoring.service import novelty
from scoring.service.inprocess import InProcessClient
from scoring.service.prediction_log import PredictionLog


@pytest.fixture(scope="module")
def client(small_run: Paths, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessClient]:
    log = PredictionLog(tmp_path_factory.mktemp("novelty_log") / "predictions.sqlite")
    c = InProcessClient(small_run, prediction_log=log)
    yield c
    c.close()


def _train(client: InProcessClient) -> pl.DataFrame:
    return client.store.features.filter(pl.col("SAMPLE") == "train")


def test_far_edited_values_are_flagged_and_named(client: InProcessClient) -> None:
    cid = client.client_ids()[0]
    high = float(_train(client)["AMT_CREDIT"].quantile(0.995, "linear"))
    result = client.what_if(cid, {"AMT_CREDIT": 9_000_000.0}, top=3, lang="fr")
    assert 9_000_000.0 > high
    assert [w.kind for w in result.warnings][:1] == ["range"]
    flagged = result.warnings[0]
    assert "AMT_CREDIT" in flagged.fields and "Montant du crédit" in flagged.labels
    assert "Montant du crédit" in flagged.message and "9" in flagged.message
    assert result.after.score.probability > 0  # still scored
    english = client.what_if(cid, {"AMT_CREDIT": 9_000_000.0}, top=3, lang="en").warnings[0]
    assert "Credit amount" in english.message and english.fields == flagged.fields


def test_a_clients_own_values_are_never_flagged(client: InProcessClient) -> None:
    """Even for clients whose own values lie beyond the range or far from the others."""
    reference = client.novelty_reference()
    features = client.store.features
    values = novelty.values_of(reference, features)
    own_outside = np.flatnonzero(reference.outside(values).any(axis=1))
    own_far = np.flatnonzero(reference.distances(values) > reference.limit)
    assert own_outside.size and own_far.size  # the check below means something
    ids = features["SK_ID_CURR"].to_numpy()
    chosen = {int(i) for i in ids[np.concatenate([own_outside[:15], own_far[:15], np.arange(10)])]}
    apps = pl.concat([pl.read_parquet(client.store.input_file(client.paths.interim / TABLES[t].parquet_name))
                      for t in ("application_train", "application_test")], how="diagonal_relaxed")
    for cid in sorted(chosen):
        record = apps.filter(pl.col("SK_ID_CURR") == cid).row(0, named=True)
        own = {k: record[k] for k in ("AMT_CREDIT", "AMT_ANNUITY", "AMT_INCOME_TOTAL") if record[k] is not None}
        assert client.what_if(cid, own, top=1).warnings == [], cid
        assert client.what_if(cid, {}, top=1).warnings == [], cid


def test_a_new_applicants_record_is_checked_field_by_field(client: InProcessClient, small_run: Paths) -> None:
    """POST /score: exactly the numeric features beyond the train clients' 0.5-99.5 % range are named
    (the ranges computed here independently, with Polars)."""
    train = _train(client)
    names = novelty.numeric_features(client.store.model)
    bounds = {name: (train[name].cast(pl.Float64).quantile(0.005, "linear"),
                     train[name].cast(pl.Float64).quantile(0.995, "linear")) for name in names}
    new = pl.read_parquet(small_run.interim / TABLES["application_test"].parquet_name).drop("SK_ID_CURR")
    flagged_somewhere = 0
    for record in new.head(40).iter_rows(named=True):
        result = client.score_application(record, None, top=1)
        row = features_for_client(record, None).row(0, named=True)
        expected = {name for name, (low, high) in bounds.items()
                    if low is not None and row[name] is not None and not low <= row[name] <= high}
        flagged = {f for w in result.warnings if w.kind == "range" for f in w.fields}
        assert flagged == expected, record
        flagged_somewhere += bool(flagged)
    assert flagged_somewhere > 0
    record = new.row(0, named=True) | {"AMT_INCOME_TOTAL": 1_000.0}
    tiny = client.score_application(record, None, top=1, lang="en")
    fields = {f for w in tiny.warnings if w.kind == "range" for f in w.fields}
    assert {"AMT_INCOME_TOTAL", "CREDIT_INCOME_RATIO"} <= fields
    assert "Annual income" in tiny.warnings[0].message


def test_a_combination_far_from_everyone_is_named() -> None:
    """Credit and goods price go together in training: a high credit for cheap goods is flagged,
    each value being within its range; the client's own row never is."""
    rng = np.random.default_rng(0)
    credit = rng.uniform(100_000, 1_000_000, 4000)
    names = ["AMT_CREDIT", "AMT_GOODS_PRICE", "AMT_INCOME_TOTAL"]
    training = np.column_stack([credit, credit * rng.uniform(0.95, 1.0, 4000), rng.uniform(50_000, 300_000, 4000)])
    reference = NoveltyReference.fit(training, names, seed=0)
    usual = pl.DataFrame({"AMT_CREDIT": [500_000.0], "AMT_GOODS_PRICE": [490_000.0], "AMT_INCOME_TOTAL": [150_000.0]})
    odd = usual.with_columns(pl.lit(900_000.0).alias("AMT_CREDIT"), pl.lit(150_000.0).alias("AMT_GOODS_PRICE"))
    assert novelty.warnings(reference, usual, "fr") == []
    found = novelty.warnings(reference, odd, "fr", baseline=usual)
    assert [w.kind for w in found] == ["combination"]
    assert set(found[0].fields) == {"AMT_CREDIT", "AMT_GOODS_PRICE"}  # the edited ones, not the income
    assert "Prix du bien financé" in found[0].message
    assert novelty.warnings(reference, odd, "fr", baseline=odd) == []  # its own values


def test_an_old_model_gets_its_reference_once_per_process() -> None:
    rng = np.random.default_rng(1)
    frame = pl.DataFrame({"SK_ID_CURR": np.arange(500), "SAMPLE": ["train"] * 400 + ["new"] * 100,
                          "AMT_CREDIT": rng.uniform(1e5, 1e6, 500), "NAME_CONTRACT_TYPE": ["Cash loans"] * 500})
    model = SimpleNamespace(feature_names=["AMT_CREDIT", "NAME_CONTRACT_TYPE"], cat_features=["NAME_CONTRACT_TYPE"],
                            novelty=None, version="old")
    store = SimpleNamespace(model=model, features=frame)
    first = novelty.reference(store)
    assert novelty.reference(store) is first and first.names == ["AMT_CREDIT"]
    train = frame.filter(pl.col("SAMPLE") == "train")["AMT_CREDIT"].to_numpy()
    assert first.high[0] == pytest.approx(np.quantile(train, 0.995))  # from the train rows only
