"""Fairness figures (scoring.model.fairness, with fairlearn) against a direct numpy computation."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from scoring.model import fairness
from scoring.text.catalogue import PROTECTED_GROUPINGS, ProtectedGrouping

GENDER = next(g for g in PROTECTED_GROUPINGS if g.key == "gender")
AGE = next(g for g in PROTECTED_GROUPINGS if g.key == "age_band")


def _direct(keys: np.ndarray, proba: np.ndarray, refused: np.ndarray, default: np.ndarray | None) -> dict:
    """Every figure per group with plain numpy (no fairlearn): the reference."""
    out = {}
    for key in np.unique(keys):
        m = keys == key
        approved = ~refused[m]
        row = {"n": int(m.sum()), "approval_rate": approved.mean(), "mean_probability": proba[m].mean()}
        if default is not None:
            d = default[m].astype(bool)
            row |= {"default_rate": d.mean(),
                    "false_refusal_rate": refused[m][~d].mean() if (~d).any() else None,
                    "missed_defaulter_rate": approved[d].mean() if d.any() else None}
        out[key] = row
    return out


def _summaries(direct: dict, groups: list[str], outcome_groups: list[str]) -> tuple[float, float]:
    rates = [direct[g]["approval_rate"] for g in groups]
    frr = [direct[g]["false_refusal_rate"] for g in outcome_groups]
    mdr = [direct[g]["missed_defaulter_rate"] for g in outcome_groups]
    return min(rates) / max(rates), max(max(frr) - min(frr), max(mdr) - min(mdr))


def _check_groups(result: dict, direct: dict) -> None:
    by = {g["group"]: g for g in result["groups"]}
    assert by.keys() == direct.keys()
    for key, expected in direct.items():
        for name, value in expected.items():
            if value is None:
                assert by[key][name] is None, (key, name)
            else:
                assert by[key][name] == pytest.approx(value, abs=1e-12), (key, name)


def test_constructed_example_matches_the_hand_computation() -> None:
    # Group A: 200 clients, 40 defaulters; refused: 30 of the defaulters and 20 good clients.
    # Group B: 300 clients, 30 defaulters; refused: 15 of the defaulters and 81 good clients.
    def block(n: int, n_def: int, ref_def: int, ref_good: int) -> tuple[np.ndarray, np.ndarray]:
        default = np.r_[np.ones(n_def), np.zeros(n - n_def)].astype(np.int8)
        refused = np.r_[np.ones(ref_def), np.zeros(n_def - ref_def), np.ones(ref_good),
                        np.zeros(n - n_def - ref_good)].astype(bool)
        return default, refused
    da, ra = block(200, 40, 30, 20)
    db, rb = block(300, 30, 15, 81)
    keys = np.array(["A"] * 200 + ["B"] * 300)
    default, refused = np.r_[da, db], np.r_[ra, rb]
    proba = np.where(refused, 0.3, 0.05)
    result = fairness.group_fairness(keys, [{"group": "A"}, {"group": "B"}], proba, refused, default)
    a, b = (next(g for g in result["groups"] if g["group"] == k) for k in "AB")
    assert (a["n"], a["approval_rate"], a["default_rate"]) == (200, pytest.approx(150 / 200), pytest.approx(0.2))
    assert a["false_refusal_rate"] == pytest.approx(20 / 160) and a["missed_defaulter_rate"] == pytest.approx(10 / 40)
    assert b["approval_rate"] == pytest.approx(204 / 300) and b["false_refusal_rate"] == pytest.approx(81 / 270)
    assert b["missed_defaulter_rate"] == pytest.approx(15 / 30)
    assert a["mean_probability"] == pytest.approx((50 * 0.3 + 150 * 0.05) / 200)
    # four-fifths: 0.68 / 0.75; equalised odds: max(|0.125 - 0.3|, |0.25 - 0.5|) = 0.25
    assert result["selection_rate_ratio"] == pytest.approx((204 / 300) / (150 / 200))
    assert result["equalised_odds_difference"] == pytest.approx(0.25)
    assert [f["figure"] for f in result["findings"]] == ["equalised_odds_difference"]
    _check_groups(result, _direct(keys, proba, refused, default))


def test_generated_data_matches_numpy_and_small_groups_are_flagged_and_left_out() -> None:
    rng = np.random.default_rng(5)
    n = 20_000
    keys = rng.choice(["F", "M", "XNA"], size=n, p=[0.6, 0.3985, 0.0015])
    proba = rng.beta(2, 15, size=n) * np.where(keys == "M", 1.3, 1.0)
    default = (rng.random(n) < proba).astype(np.int8)
    refused = proba >= 0.12
    groups = [{"group": k} for k in ("F", "M", "XNA")]
    result = fairness.group_fairness(keys, groups, proba, refused, default)
    direct = _direct(keys, proba, refused, default)
    _check_groups(result, direct)
    ratio, eod = _summaries(direct, ["F", "M"], ["F", "M"])
    assert result["selection_rate_ratio"] == pytest.approx(ratio)
    assert result["equalised_odds_difference"] == pytest.approx(eod)
    small = next(g for g in result["groups"] if g["group"] == "XNA")
    assert small["small"] and small["n"] < fairness.MIN_GROUP
    assert {"group": "XNA", "n": small["n"], "reason": "small_group"} in result["warnings"]
    # decisions only: no outcome figure, no equalised odds, the same approval figures
    blind = fairness.group_fairness(keys, groups, proba, refused, None)
    assert blind["equalised_odds_difference"] is None and "default_rate" not in blind["groups"][0]
    assert blind["selection_rate_ratio"] == pytest.approx(ratio)


def test_rates_without_a_denominator_are_none_and_few_outcomes_are_flagged() -> None:
    keys = np.array(["A"] * 150 + ["B"] * 150)
    default = np.r_[np.zeros(150), np.ones(10), np.zeros(140)].astype(np.int8)  # A: no defaulter
    refused = np.r_[np.zeros(140), np.ones(10), np.ones(5), np.zeros(145)].astype(bool)
    result = fairness.group_fairness(keys, [{"group": "A"}, {"group": "B"}], np.full(300, 0.1), refused, default)
    a, b = result["groups"]
    assert a["missed_defaulter_rate"] is None and a["small_outcomes"] and b["small_outcomes"]
    assert result["equalised_odds_difference"] is None  # no group has enough defaulters
    assert result["selection_rate_ratio"] is not None


def test_age_bands_from_age_or_from_days_of_birth() -> None:
    frame = pl.DataFrame({"AGE_YEARS": [24.99, 25.0, 34.9, 64.99, 65.0, None]})
    keys, groups = fairness.group_keys(frame, AGE)
    assert keys.to_list() == ["<25", "25-35", "25-35", "55-65", ">=65", fairness.MISSING_GROUP]
    assert [g["group"] for g in groups] == ["<25", "25-35", "55-65", ">=65", fairness.MISSING_GROUP]
    assert groups[0]["band"] == [None, 25] and groups[3]["band"] == [65, None]
    days = pl.DataFrame({"DAYS_BIRTH": [-int(30 * 365.25), -int(70 * 365.25)]})
    assert fairness.group_keys(days, AGE)[0].to_list() == ["25-35", ">=65"]
    assert fairness.group_keys(pl.DataFrame({"X": [1]}), AGE) is None


def test_report_marks_an_absent_grouping_column() -> None:
    frame = pl.DataFrame({"CODE_GENDER": ["F", "M", None] * 50, "TARGET": [0, 1, 0] * 50})
    other = ProtectedGrouping("region", "NOT_THERE", "Région", "Region")
    report = fairness.fairness_report(frame, np.full(150, 0.1), np.zeros(150, bool), (GENDER, other),
                                      outcomes=True)
    assert report["region"]["absent"] and report["region"]["groups"] == []
    assert [g["group"] for g in report["gender"]["groups"]] == ["F", "M", fairness.MISSING_GROUP]
