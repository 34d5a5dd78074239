"""Concepts: every feature in exactly one, protected ones kept apart, sentences in both languages."""

from __future__ import annotations

import pytest

from scoring.text import catalogue as C
from scoring.text import concepts as K


def test_every_feature_belongs_to_exactly_one_concept():
    members = {key: K.features_of(key) for key in K.CONCEPTS}
    listed = [name for names in members.values() for name in names]
    assert sorted(listed) == sorted(C.CATALOGUE)  # each feature once, none left out
    for key, names in members.items():
        assert names, f"concept {key} has no feature"
        assert all(K.concept_of(n) == key for n in names)
    with pytest.raises(KeyError):
        K.concept_of("NOT_A_FEATURE")


def test_a_small_set_of_concepts():
    assert 10 <= len(K.CONCEPTS) <= 15
    for lang in ("fr", "en"):
        labels = [K.label(key, lang) for key in K.CONCEPTS]
        assert len(set(labels)) == len(labels)


def test_protected_and_ordinary_features_never_share_a_concept():
    for key, concept in K.CONCEPTS.items():
        flags = {C.CATALOGUE[n].protected for n in K.features_of(key)}
        assert flags == {concept.protected}, key
    for name in ("CODE_GENDER", "AGE_YEARS", "NAME_FAMILY_STATUS", "CNT_CHILDREN"):
        assert K.CONCEPTS[K.concept_of(name)].protected, name
    assert {k for k, c in K.CONCEPTS.items() if c.protected} == {"age", "gender", "family"}


def test_history_features_follow_their_lender():
    """Arrears reported by other lenders are about other lenders, not about repayments with us."""
    assert K.concept_of("BUREAU_OVERDUE_SUM") == K.concept_of("BUREAU_DEBT_SUM") == "other_lenders"
    assert K.concept_of("INST_LATE_SHARE") == K.concept_of("POS_DPD_MAX") == "repayment"
    assert K.concept_of("PREV_REFUSED_COUNT") == "past_applications"
    assert {K.concept_of(n) for n in ("AMT_CREDIT", "AMT_ANNUITY", "AMT_GOODS_PRICE", "PAYMENT_RATE")} == {
        "credit_requested"}


@pytest.mark.parametrize("key", list(K.CONCEPTS))
def test_sentences_exist_in_both_languages_and_directions(key):
    feature = K.features_of(key)[0]
    texts = set()
    for lang in ("fr", "en"):
        detail = K.detail(feature, None, lang)
        assert detail.startswith(C.label(feature, lang)) and C.format_value(feature, None, lang) in detail
        for against in (True, False):
            text = K.sentence(key, against, detail, lang)
            assert detail in text and text[0].isupper() and text.endswith(").")
            assert "{" not in text
            texts.add(text)
    assert len(texts) == 4  # four different sentences: two languages x two directions
    fr_against = K.sentence(key, True, "x", "fr")
    assert "contre" in fr_against and "faveur" in K.sentence(key, False, "x", "fr")
    assert "against" in K.sentence(key, True, "x", "en") and "favour" in K.sentence(key, False, "x", "en")


def test_detail_uses_each_language_punctuation():
    assert K.detail("INST_LATE_SHARE", 0.12, "fr") == f"Échéances payées en retard : 12{C.NNBSP}%"
    assert K.detail("INST_LATE_SHARE", 0.12, "en") == "Instalments paid late: 12%"
    assert K.detail("LANDAREA_AVG", None, "fr") == "« Immeuble : surface du terrain » : non renseigné"
    assert K.detail("LANDAREA_AVG", None, "en") == "“Building: land area”: not provided"
    with pytest.raises(ValueError):
        K.label("external_scores", "de")


def test_the_points_note_exists_in_both_languages():
    assert set(K.POINTS_NOTE) == {"fr", "en"}
    assert "20 points" in K.POINTS_NOTE["fr"] and "20 more points" in K.POINTS_NOTE["en"]
