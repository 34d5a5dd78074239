"""Locale-aware numbers, percentages, amounts and dates for the API and the dashboard (Babel).

One set of formatters, so that a value reads the same everywhere. Babel's CLDR
data gives each language its decimal mark, grouping and the place of `%` and
`€`; on top of it the project applies three typographic rules of its own:

- every no-break space CLDR puts inside a number or next to `%` / `€` becomes a
  narrow no-break space (U+202F), the French typographic usage: "12 345 €", "12,3 %";
- a negative number uses the real minus sign U+2212 ("−1 500 €"), not a hyphen;
- a value that rounds to zero is shown without a sign ("0,000", never "−0,000").

Rounding is the one of Python's `format()` (half-even on the float's exact binary
value), so a shown number always agrees with `round()` used elsewhere.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from functools import cache
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.numbers import NumberPattern, get_plus_sign_symbol, parse_pattern

DEFAULT_LANG = "fr"
NNBSP = "\u202f"  # narrow no-break space: grouping and before % / € in French
NBSP = "\u00a0"
MINUS = "\u2212"  # the real minus sign
#: The currency of every amount in the project.
CURRENCY = "EUR"

#: What a missing value (None, NaN) reads as; other languages fall back to English.
MISSING_TEXT = {"fr": "non renseigné", "en": "not provided"}


@cache
def locale(lang: str) -> Locale:
    """The Babel locale of a language code ("fr", "en", "de"...); ValueError when unknown."""
    try:
        return Locale.parse(lang)
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown language {lang!r}") from exc


def is_missing(value: Any) -> bool:
    """None or NaN (float, NumPy or Decimal): the value was not provided."""
    try:
        return value is None or math.isnan(value)
    except TypeError:
        return False


def missing_text(lang: str = DEFAULT_LANG) -> str:
    return MISSING_TEXT.get(lang, MISSING_TEXT["en"])


@cache
def _pattern(kind: str, lang: str, min_digits: int, max_digits: int) -> NumberPattern:
    """The language's CLDR pattern for `kind`, with the fraction digits we want."""
    loc = locale(lang)
    source = {"decimal": loc.decimal_formats, "percent": loc.percent_formats,
              "currency": loc.currency_formats}[kind]
    base = source["standard" if kind == "currency" else None]
    pattern = parse_pattern(base.pattern.replace(NBSP, NNBSP))
    pattern.frac_prec = (min_digits, max_digits)
    return pattern


def _exact(value: Any) -> decimal.Decimal:
    """The float's exact binary value (ints and NumPy scalars too), as `format()` sees it."""
    if isinstance(value, decimal.Decimal):
        return value
    try:
        return decimal.Decimal(value)
    except TypeError:
        return decimal.Decimal(float(value))


def _rounded(value: Any, digits: int) -> decimal.Decimal:
    """`value` rounded half-even to `digits` decimals; a result of zero loses its sign.

    The precision follows the value, so a huge amount (1e300 €, typed into a what-if field)
    is still written out rather than raising `InvalidOperation`."""
    exact = _exact(value)
    with _enough_precision(exact, digits):
        rounded = exact.quantize(decimal.Decimal(1).scaleb(-digits), rounding=decimal.ROUND_HALF_EVEN)
    return rounded.copy_abs() if rounded.is_zero() else rounded


def _enough_precision(exact: decimal.Decimal, digits: int) -> decimal.localcontext:
    """A decimal context precise enough to write every digit of `exact` with `digits` decimals."""
    needed = exact.adjusted() + digits + 4 if exact.is_finite() else 0
    return decimal.localcontext(prec=max(decimal.getcontext().prec, needed))


def _apply(kind: str, value: Any, lang: str, digits: int, min_digits: int | None,
           grouping: bool = True, scale: int = 0) -> str:
    exact = _exact(value)
    if exact.is_infinite():
        return ("" if exact > 0 else MINUS) + "∞"
    shown = _rounded(exact.scaleb(scale), digits).scaleb(-scale)
    pattern = _pattern(kind, lang, digits if min_digits is None else min_digits, digits)
    with _enough_precision(exact.scaleb(scale), digits):
        text = pattern.apply(shown, locale(lang), currency=CURRENCY if kind == "currency" else None,
                             currency_digits=False, group_separator=grouping)
    return text.replace("-", MINUS).replace(NBSP, NNBSP)


def format_number(value: float | None, lang: str = DEFAULT_LANG, digits: int = 0, *,
                  min_digits: int | None = None, grouping: bool = True) -> str:
    """FR "1 234 567,5", EN "1,234,567.5"; `min_digits` < `digits` drops trailing zeros."""
    if is_missing(value):
        return missing_text(lang)
    return _apply("decimal", value, lang, digits, min_digits, grouping)


def format_signed(value: float, lang: str = DEFAULT_LANG, digits: int = 2) -> str:
    """An explicit sign, so direction never relies on colour: "+0,50" / "−0,50" / "0,00"."""
    if is_missing(value):
        return missing_text(lang)
    body = format_number(abs(value), lang, digits)
    if _rounded(abs(value), digits).is_zero():
        return body
    return (get_plus_sign_symbol(locale(lang)) if value > 0 else MINUS) + body


def format_percent(probability: float | None, lang: str = DEFAULT_LANG, digits: int = 1, *,
                   min_digits: int | None = None) -> str:
    """A share in [0, 1] as a percentage: FR "12,3 %", EN "12.3%"."""
    if is_missing(probability):
        return missing_text(lang)
    return _apply("percent", probability, lang, digits, min_digits, scale=2)


def format_currency(amount: float | None, lang: str = DEFAULT_LANG, digits: int = 0) -> str:
    """An amount in euros: FR "12 345 €", EN "€12,345", negative "−1 500 €" / "−€1,500"."""
    if is_missing(amount):
        return missing_text(lang)
    return _apply("currency", amount, lang, digits, None)


def format_date(value: dt.date | dt.datetime | str | None, lang: str = DEFAULT_LANG,
                style: str = "medium") -> str:
    """A date in the language's words: FR "5 mars 2024", EN "Mar 5, 2024" (ISO text accepted)."""
    if value is None or value == "":
        return missing_text(lang)
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = value.date()
    return _babel_date(value, style, locale=locale(lang)).replace(NBSP, NNBSP)


def format_datetime(value: dt.datetime | str | None, lang: str = DEFAULT_LANG,
                    style: str = "medium") -> str:
    """A date and time: FR "5 mars 2024, 14:30:00", EN "Mar 5, 2024, 2:30:00 PM"."""
    if value is None or value == "":
        return missing_text(lang)
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return _babel_datetime(value, style, locale=locale(lang)).replace(NBSP, NNBSP)


def plural_category(value: float, lang: str = DEFAULT_LANG, digits: int = 0) -> str:
    """CLDR plural category ("one", "other"...) of `value` as shown with `digits` decimals:
    French "1,5 point" (one), English "1.0 points" (other)."""
    return locale(lang).plural_form(_rounded(abs(value), digits))
