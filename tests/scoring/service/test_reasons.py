"""Concepts add up to the score for every client; protected concepts are never a principal reason."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from scoring.model.points import FACTOR, points_from_probability
from scoring.paths import Paths
from scoring.service import reasons as R
from scoring.service.inprocess import InProcessClient
from scoring.service.prediction_log import PredictionLog
from scoring.text import catalogue as C
from scoring.text import concepts as K

NAMES = list(C.CATALOGUE)


@pytest.fixture(scope="module")
def client(small_run: Paths, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessClient]:
    c = InProcessClient(small_run, prediction_log=PredictionLog(
        tmp_path_factory.mktemp("reasons_log") / "p.sqlite"))
    yield c
    c.close()


def test_every_clients_concepts_add_up_to_its_score(client: InProcessClient) -> None:
    """For every client of the generated set: base points + concepts = score points (1e-6), every
    concept present once, reasons in the decision's direction and never protected."""
    store, names = client.store, client.store.feature_names
    n_refused = n_withheld = 0
    for cid in store.client_ids().tolist():
        exp = store.lookup(cid)
        concepts, reasons, withheld = R.explain(names, exp.shap, exp.feature_values, "fr", exp.refused)
        base = points_from_probability(1 / (1 + np.exp(-exp.base_value)))
        total = base + sum(k.points for k in concepts)
        assert total == pytest.approx(points_from_probability(exp.probability), abs=1e-6), cid
        assert sorted(k.concept for k in concepts) == sorted(K.CONCEPTS)
        for k in concepts:
            assert sum(f.points for f in k.features) == pytest.approx(k.points, abs=1e-9)
        assert len(reasons) <= R.MAX_REASONS
        assert not any(K.CONCEPTS[r.concept].protected for r in reasons), cid
        assert all((r.points < 0) == exp.refused for r in reasons), cid
        n_refused += exp.refused
        n_withheld += withheld
    assert n_refused > 0 and n_withheld > 0  # the set has refusals and withheld protected concepts


def test_the_served_explanation_carries_them(client: InProcessClient) -> None:
    ids = client.client_ids()
    refused = next(i for i in ids if client.score(i).refused)
    for lang in ("fr", "en"):
        e = client.explanation(refused, top=3, lang=lang)
        assert e.base_points + sum(k.points for k in e.concepts) == pytest.approx(e.score.points, abs=1e-6)
        assert [abs(k.points) for k in e.concepts] == sorted((abs(k.points) for k in e.concepts), reverse=True)
        assert {k.label for k in e.concepts} == {K.label(key, lang) for key in K.CONCEPTS}
        assert 1 <= len(e.principal_reasons) <= 4
        for r in e.principal_reasons:
            assert r.label == K.label(r.concept, lang) and r.display_value in r.sentence
            assert C.label(r.feature, lang) in r.sentence and K.concept_of(r.feature) == r.concept
            assert r.points <= -R.MIN_REASON_POINTS
    assert client.principal_reasons(refused, "en") == R.reason_records(e.principal_reasons)


def _explain(shap_by_feature: dict[str, float], refused: bool, lang: str = "fr"):
    shap = np.zeros(len(NAMES))
    for name, value in shap_by_feature.items():
        shap[NAMES.index(name)] = value
    return R.explain(NAMES, shap, {"AGE_YEARS": 23.0, "INST_LATE_SHARE": 0.25, "AMT_CREDIT": 500_000.0,
                                   "EXT_SOURCE_2": 0.7}, lang, refused)


def test_a_protected_concept_is_skipped_and_said_to_be_withheld() -> None:
    concepts, reasons, withheld = _explain(
        {"AGE_YEARS": 1.0, "INST_LATE_SHARE": 0.5, "INST_COUNT": -0.1, "AMT_CREDIT": 0.2,
         "EXT_SOURCE_2": -0.3}, refused=True)
    assert concepts[0].concept == "age" and concepts[0].protected  # age weighs most...
    assert withheld and [r.concept for r in reasons] == ["repayment", "credit_requested"]  # ...never said
    first = reasons[0]
    assert first.feature == "INST_LATE_SHARE" and first.points == pytest.approx(-0.4 * FACTOR)
    assert first.sentence == ("La façon dont vous avez remboursé vos crédits passés chez nous pèse contre "
                              "votre demande (Échéances payées en retard : 25\u202f%).")
    # the same client granted: the strengths are the concepts pushing toward acceptance
    _, strengths, withheld = _explain({"AGE_YEARS": 1.0, "EXT_SOURCE_2": -0.3}, refused=False, lang="en")
    assert [r.concept for r in strengths] == ["external_scores"] and not withheld
    assert strengths[0].sentence.endswith("count in your favour (External score #2: 0.70).")


def test_at_most_four_reasons_each_worth_a_point() -> None:
    heavy = {"EXT_SOURCE_2": 0.5, "INST_LATE_SHARE": 0.4, "AMT_CREDIT": 0.3, "BUREAU_DEBT_SUM": 0.2,
             "PREV_REFUSED_COUNT": 0.1, "FLAG_OWN_CAR": 0.02, "CODE_GENDER": 0.01}
    _, reasons, withheld = _explain(heavy, refused=True)
    assert [r.concept for r in reasons] == ["external_scores", "repayment", "credit_requested", "other_lenders"]
    assert not withheld  # the protected concept ranked below the fourth reason
    _, reasons, _ = _explain({"FLAG_OWN_CAR": 0.9 / FACTOR}, refused=True)
    assert reasons == []  # under one point: no reason to give


def test_features_the_model_did_not_use_are_left_out() -> None:
    concepts, _, _ = _explain({"AMT_CREDIT": 0.2}, refused=True, lang="en")
    credit = next(k for k in concepts if k.concept == "credit_requested")
    assert [f.feature for f in credit.features] == ["AMT_CREDIT"]
    assert credit.features[0].display_value == "€500,000"
    assert all(k.features == [] for k in concepts if k.concept != "credit_requested")
