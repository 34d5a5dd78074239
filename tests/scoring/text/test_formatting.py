"""Babel-based formatters shared by the API and the dashboard: French and English conventions."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.text import formatting as F

NNBSP, MINUS = "\u202f", "\u2212"


@pytest.mark.parametrize(("value", "digits", "fr", "en"), [
    (1234567.5, 1, f"1{NNBSP}234{NNBSP}567,5", "1,234,567.5"),
    (12345, 0, f"12{NNBSP}345", "12,345"),
    (999, 0, "999", "999"),
    (0.5123, 2, "0,51", "0.51"),
    (-0.6, 0, f"{MINUS}1", f"{MINUS}1"),
    (-1234.5, 1, f"{MINUS}1{NNBSP}234,5", f"{MINUS}1,234.5"),
    # a value that rounds to zero never shows a sign
    (-0.0001, 3, "0,000", "0.000"),
    (-0.4, 0, "0", "0"),
    (-0.0, 2, "0,00", "0.00"),
    (np.int64(2500), 0, f"2{NNBSP}500", "2,500"),
    (np.float32(0.25), 2, "0,25", "0.25"),
])
def test_format_number(value, digits, fr, en):
    assert F.format_number(value, "fr", digits) == fr
    assert F.format_number(value, "en", digits) == en


def test_missing_values_read_in_words():
    for value in (None, float("nan"), np.float64("nan"), np.float32("nan")):
        assert F.format_number(value, "fr") == "non renseigné"
        assert F.format_percent(value, "en") == "not provided"
        assert F.format_currency(value, "fr") == "non renseigné"
    assert F.format_date(None, "en") == "not provided"
    assert F.format_number(float("inf"), "fr") == "∞" and F.format_number(-math.inf, "en") == f"{MINUS}∞"


def test_trailing_zeros_can_be_dropped_and_grouping_turned_off():
    assert F.format_number(2.0, "fr", 1, min_digits=0) == "2"
    assert F.format_number(2.5, "fr", 1, min_digits=0) == "2,5"
    assert F.format_number(12345.0, "fr", 0, grouping=False) == "12345"


def test_signed_numbers_carry_a_real_sign_but_zero_has_none():
    assert F.format_signed(-0.5, "fr") == f"{MINUS}0,50"
    assert F.format_signed(0.5, "en") == "+0.50"
    assert F.format_signed(1234.5, "fr", 1) == f"+1{NNBSP}234,5"
    assert F.format_signed(0.0, "fr") == "0,00"
    assert F.format_signed(-0.001, "fr") == "0,00"  # not "−0,00"
    assert F.format_signed(0.004, "en") == "0.00"


def test_percentages_french_narrow_space_english_none():
    assert F.format_percent(0.1234, "fr") == f"12,3{NNBSP}%"
    assert F.format_percent(0.1234, "en") == "12.3%"
    assert F.format_percent(0.25, "fr", 0) == f"25{NNBSP}%"
    assert F.format_percent(0.5, "fr", 2) == f"50,00{NNBSP}%"
    assert F.format_percent(0.054, "en", 1, min_digits=0) == "5.4%"
    assert F.format_percent(0.25, "en", 1, min_digits=0) == "25%"
    assert F.format_percent(-0.00001, "fr") == f"0,0{NNBSP}%"
    assert F.format_percent(12.5, "fr", 0) == f"1{NNBSP}250{NNBSP}%"  # grouped, as CLDR says


def test_currency_placement_follows_the_language():
    assert F.format_currency(12345.4, "fr") == f"12{NNBSP}345{NNBSP}€"
    assert F.format_currency(12345.4, "en") == "€12,345"
    assert F.format_currency(-1500, "fr") == f"{MINUS}1{NNBSP}500{NNBSP}€"
    assert F.format_currency(-1500, "en") == f"{MINUS}€1,500"
    assert F.format_currency(-0.3, "fr") == f"0{NNBSP}€"
    assert F.format_currency(1234.5, "en", 2) == "€1,234.50"


def test_dates_in_words():
    day = dt.date(2024, 3, 5)
    assert F.format_date(day, "fr") == "5 mars 2024"
    assert F.format_date(day, "en") == "Mar 5, 2024"
    assert F.format_date("2024-03-05T10:00:00+00:00", "fr") == "5 mars 2024"
    assert F.format_date(dt.datetime(2024, 3, 5, 23, 59), "en", "long") == "March 5, 2024"
    assert F.format_datetime("2024-03-05T14:30:00", "fr", "short") == "05/03/2024 14:30"


def test_plural_categories_come_from_cldr():
    # French: 0 and 1 (and 1,5) are singular; English: "1.0 points", as shown
    assert F.plural_category(1.5, "fr", 1) == "one" and F.plural_category(2.0, "fr", 1) == "other"
    assert F.plural_category(1.0, "en", 0) == "one" and F.plural_category(1.0, "en", 1) == "other"


def test_any_language_babel_knows_formats_without_code():
    assert F.format_number(1234.5, "de", 1) == "1.234,5"
    assert F.format_currency(12345, "de") == f"12.345{NNBSP}€"
    assert F.missing_text("de") == "not provided"
    with pytest.raises(ValueError, match="xx"):
        F.format_number(1.0, "xx")


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.integers(0, 3))
def test_rounding_is_pythons_and_zero_is_unsigned(value, digits):
    text = F.format_number(value, "en", digits).replace(",", "").replace(MINUS, "-")
    expected = f"{value:.{digits}f}"
    if float(expected) == 0:
        expected = expected.lstrip("-")
    assert text == expected
    french = F.format_number(value, "fr", digits)
    assert french.replace(NNBSP, "").replace(",", ".").replace(MINUS, "-") == expected


def test_huge_values_are_written_out_not_refused():
    """A what-if field may receive 1e300 €: the message quoting it must not crash."""
    from scoring.text import formatting as F
    from scoring.text.catalogue import format_value

    shown = format_value("AMT_CREDIT", 1e300, "fr")
    assert shown.endswith("€") and shown.replace("\u202f", "").rstrip("€").isdigit()
    assert len(shown.replace("\u202f", "").rstrip("€")) == 301
    assert F.format_percent(1e30, "en").endswith("%")
    assert F.format_number(-1e-300, "fr", 2) == "0,00"
