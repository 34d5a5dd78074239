"""Data-to-text helpers of the scatter panel: bound fields, localised tooltips, tool names.

Bokeh's own number formats (`{0,0.00}`) are English only; tooltips here use a
`CustomJSHover` with the browser's `toLocaleString` for the page's language
(French decimal comma and narrow no-break space), the same convention as the
axis ticks (`panel_base.tick_formatter`).
"""

from __future__ import annotations

import math
import re

from bokeh.models import CustomJSHover

from bokeh_app.i18n import check_lang
from bokeh_app.panel_base import js_locale
from scoring.text import formatting

#: Significant digits of a bound written in a field.
BOUND_DIGITS = 4
_EN_GROUPED = re.compile(r"^[-−]?\d{1,3}(,\d{3})+(\.\d*)?$")


def bound_text(value: float, lang: str) -> str:
    """A bound rounded to 4 significant digits in the page's number format ("12 350", "0,1235")."""
    lang = check_lang(lang)
    if not math.isfinite(value) or value == 0:
        return formatting.format_number(0 if value == 0 else value, lang, 0)
    decimals = BOUND_DIGITS - 1 - math.floor(math.log10(abs(value)))
    rounded = round(value, decimals)
    return formatting.format_number(rounded, lang, max(decimals, 0), min_digits=0)


def parse_bound(text: str | None, lang: str = "fr") -> float | None:
    """A number typed in a bound field, in either language's notation; None when it is none.

    Spaces (also no-break and narrow ones) group digits; a comma is the decimal mark,
    except English digit grouping ("12,345.5", or "12,345" on an English page)."""
    raw = re.sub(r"[\s\u00a0\u202f]", "", text or "").replace("−", "-")
    if not raw:
        return None
    if "," in raw and "." in raw:
        raw = raw.replace(",", "") if raw.rfind(".") > raw.rfind(",") else raw.replace(".", "").replace(",", ".")
    elif "," in raw:
        raw = raw.replace(",", "") if check_lang(lang) == "en" and _EN_GROUPED.match(raw) else raw.replace(",", ".")
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def local_number(lang: str, digits: int, *, percent: bool = False) -> CustomJSHover:
    """A tooltip formatter: the number in the page's language, true minus sign."""
    options = (f"{{style: 'percent', minimumFractionDigits: {digits}, maximumFractionDigits: {digits}}}"
               if percent else f"{{maximumFractionDigits: {digits}}}")
    code = (f"if (value == null || Number.isNaN(Number(value))) return '—';"
            f"return Number(value).toLocaleString('{js_locale(check_lang(lang))}', "
            f"{options}).replace('-', '\u2212');")
    return CustomJSHover(code=code)
