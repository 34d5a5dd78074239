"""Recourse: every option offered, applied through what_if, is granted, within the training ranges,
and changes only actionable fields; a granted client gets its margin; the search finds a known
boundary on a model whose answer is known."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import polars as pl
import pytest

from scoring.errors import UnknownClient
from scoring.model.novelty import NoveltyReference
from scoring.paths import Paths
from scoring.service import recourse as R
from scoring.service.inprocess import InProcessClient
from scoring.service.prediction_log import PredictionLog
from scoring.service.protocol import Recourse
from scoring.text import catalogue

PROTECTED_RAW = {"NAME_FAMILY_STATUS", "CNT_CHILDREN", "CNT_FAM_MEMBERS", "CODE_GENDER", "DAYS_BIRTH"}


@pytest.fixture(scope="module")
def client(small_run: Paths, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessClient]:
    log = PredictionLog(tmp_path_factory.mktemp("recourse_log") / "predictions.sqlite")
    c = InProcessClient(small_run, prediction_log=log)
    yield c
    c.close()


@pytest.fixture(scope="module")
def new_clients(client: InProcessClient) -> dict[str, list[int]]:
    """The small run's new applicants (the advisors' daily case), split by decision."""
    store = client.store
    frame = store.features.select("SK_ID_CURR", "SAMPLE").with_columns(
        pl.Series("p", store.probabilities())).filter(pl.col("SAMPLE") == "new")
    refused = frame.filter(pl.col("p") >= store.threshold)["SK_ID_CURR"].to_list()
    granted = frame.filter(pl.col("p") < store.threshold)["SK_ID_CURR"].to_list()
    return {"refused": refused, "granted": granted}


def test_options_only_ever_change_actionable_unprotected_fields() -> None:
    fields = R.actionable_fields()
    assert {"AMT_CREDIT", "AMT_ANNUITY", "AMT_GOODS_PRICE"} <= fields
    assert not fields & PROTECTED_RAW
    for name in fields:
        entry = catalogue.CATALOGUE[catalogue.RAW_FIELDS[name].feature or name]
        assert entry.editable and entry.actionable and not entry.protected
    for move in (*R.MOVES, R.HEADROOM):
        assert set(move.fields) <= fields, move.kind
    assert {name for group in R.COMBINED[1] for name in group} <= fields


def test_every_option_of_every_refused_applicant_is_granted_when_applied(
        client: InProcessClient, new_clients: dict[str, list[int]]) -> None:
    """All refused new applicants of the small run: each option, applied as a what-if, is granted,
    raises no unusual-value warning, keeps every changed feature in the training range."""
    reference = client.novelty_reference()
    refused = new_clients["refused"]
    assert len(refused) > 50
    helped, kinds = 0, {}
    for cid in refused:
        result = client.recourse(cid, "fr")
        assert isinstance(result, Recourse) and result.refused and result.margin <= 0
        assert result.headroom is None and len(result.options) <= R.MAX_OPTIONS
        assert len({tuple(sorted(o.changes.items())) for o in result.options}) == len(result.options)
        helped += bool(result.options)
        for option in result.options:
            kinds[option.kind] = kinds.get(option.kind, 0) + 1
            assert option.changes and set(option.changes) <= R.actionable_fields()
            assert not option.refused and option.label and "→" in option.sentence
            applied = client.what_if(cid, option.changes, top=1)
            assert applied.overrides == option.changes
            assert not applied.after.score.refused, (cid, option)
            assert applied.after.score.probability == pytest.approx(option.probability, abs=1e-12)
            assert applied.warnings == []
            for name, value in option.changes.items():
                j = reference.names.index(name)
                assert reference.low[j] <= value <= reference.high[j], (cid, name, value)
    share = helped / len(refused)
    print(f"\nrecourse: {helped} of {len(refused)} refused new applicants ({share:.0%}) get at least one "
          f"option; options by kind: {kinds}")
    assert helped > 0


def test_a_granted_applicant_gets_its_margin_and_headroom(
        client: InProcessClient, new_clients: dict[str, list[int]]) -> None:
    with_headroom = 0
    for cid in new_clients["granted"][:25]:
        result = client.recourse(cid, "en")
        assert not result.refused and result.options == []
        assert result.margin == pytest.approx(result.threshold - result.probability) and result.margin > 0
        assert result.summary.startswith("Credit granted")
        if result.headroom is not None:
            with_headroom += 1
            own = client.what_if_form(cid)
            credit = next(f.default for f in own.fields if f.name == "AMT_CREDIT")
            assert result.headroom.changes["AMT_CREDIT"] > credit
            applied = client.what_if(cid, result.headroom.changes, top=1)
            assert not applied.after.score.refused and applied.warnings == []
    assert with_headroom > 0


def test_texts_follow_the_language(client: InProcessClient, new_clients: dict[str, list[int]]) -> None:
    cid = new_clients["refused"][0]
    fr, en = client.recourse(cid, "fr"), client.recourse(cid, "en")
    assert fr.summary.startswith("Crédit refusé") and en.summary.startswith("Credit refused")
    assert [o.changes for o in fr.options] == [o.changes for o in en.options]


def test_unknown_client(client: InProcessClient) -> None:
    with pytest.raises(UnknownClient):
        client.recourse(1)


# -- the search on a model whose answer is known ------------------------------------------------
BOUNDARY = 300_000.0  # granted iff the credit is below it, whatever the rest
THRESHOLD = 0.1


def _known_case(record: dict[str, Any]) -> R.Case:
    rng = np.random.default_rng(0)
    credit = rng.uniform(50_000, 1_500_000, 5000)
    names = ["AMT_CREDIT", "AMT_ANNUITY", "AMT_GOODS_PRICE"]
    training = np.column_stack([credit, credit * rng.uniform(0.03, 0.08, 5000), credit * rng.uniform(0.8, 1.0, 5000)])
    reference = NoveltyReference.fit(training, names, seed=0)

    def features(sets: list[dict[str, Any]]) -> pl.DataFrame:
        return pl.DataFrame([{n: float((record | s)[n]) for n in names} for s in sets])

    def predict(frame: pl.DataFrame) -> np.ndarray:
        logit = np.log(THRESHOLD / (1 - THRESHOLD)) + (frame["AMT_CREDIT"].to_numpy() - BOUNDARY) / 50_000
        return 1 / (1 + np.exp(-logit))

    def verify(changes: dict[str, Any]) -> tuple[float, list]:
        return float(predict(features([changes]))[0]), []

    own = features([{}])
    return R.Case(client_id=1, record=record, probability=float(predict(own)[0]), threshold=THRESHOLD,
                  features=features, predict=predict, reference=reference, baseline=own, verify=verify)


def test_the_search_finds_the_largest_amount_granted() -> None:
    record = {"SK_ID_CURR": 1, "AMT_CREDIT": 500_000.0, "AMT_ANNUITY": 25_000.0, "AMT_GOODS_PRICE": 450_000.0}
    case = _known_case(record)
    result = R.recourse(case, "fr")
    assert result.refused and case.rescored < 400  # a few batched rounds, not a scan
    kinds = [o.kind for o in result.options]
    assert kinds[0] == "amount_same_duration" and "amount_same_instalment" in kinds
    assert "longer_duration" not in kinds and "shorter_duration" not in kinds  # the instalment is irrelevant
    assert "combined" not in kinds  # never larger than the amount alone
    first = result.options[0].changes
    assert BOUNDARY - 1_000 <= first["AMT_CREDIT"] < BOUNDARY and first["AMT_CREDIT"] % 100 == 0
    share = first["AMT_CREDIT"] / record["AMT_CREDIT"]
    assert first["AMT_ANNUITY"] == pytest.approx(record["AMT_ANNUITY"] * share, abs=1.0)  # same duration
    assert first["AMT_GOODS_PRICE"] == pytest.approx(record["AMT_GOODS_PRICE"] * share, abs=100.0)
    assert "Montant du crédit : 500 000 € → " in result.options[0].sentence.replace("\u202f", " ")


def test_a_granted_client_headroom_stops_at_the_boundary() -> None:
    record = {"SK_ID_CURR": 1, "AMT_CREDIT": 200_000.0, "AMT_ANNUITY": 10_000.0, "AMT_GOODS_PRICE": 180_000.0}
    result = R.recourse(_known_case(record), "en")
    assert not result.refused and result.options == [] and result.margin > 0
    assert result.headroom is not None and result.headroom.kind == "headroom"
    assert BOUNDARY - 1_000 <= result.headroom.changes["AMT_CREDIT"] < BOUNDARY
    assert "Beyond it" not in result.headroom.sentence  # it stops because it would be refused


def test_nothing_is_offered_beyond_the_training_range() -> None:
    """A client whose credit can only be granted below the lowest amounts seen gets no option."""
    record = {"SK_ID_CURR": 1, "AMT_CREDIT": 500_000.0, "AMT_ANNUITY": 25_000.0, "AMT_GOODS_PRICE": 450_000.0}
    case = _known_case(record)
    global BOUNDARY
    saved, BOUNDARY = BOUNDARY, 40_000.0  # below the training clients' 0.5 % quantile (~57,000)
    try:
        result = R.recourse(case, "en")
    finally:
        BOUNDARY = saved
    assert result.refused and result.options == []
    assert "No change" in result.summary
