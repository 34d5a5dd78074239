"""What every part of the page shares: the widget stylesheet, text sizes and a tool-less figure.

Text sizes are given in px at 100 % and a 16 px browser default, scaled by the
session's text-size setting (WCAG 1.4.4 asks for 200 %) and sent in rem, so
that the browser's own font-size preference scales every text as well.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from bokeh.models import CustomJSTickFormatter
from bokeh.plotting import figure

APP_DIR = Path(__file__).resolve().parent
WIDGET_CSS_PATH = APP_DIR / "static" / "css" / "widgets.css"
#: Offered text sizes (percent); 200 % is what WCAG 1.4.4 asks to support.
TEXT_SCALES = (100, 125, 150, 200)
#: Plot text sizes in px at 100 %.
FONT_PX = {"title": 16, "axis_label": 14, "tick": 13, "bar_text": 13, "gauge_label": 12,
           "gauge_tick": 12, "gauge_centre": 24}
BAR_ROW_PX = 30
BAR_EXTRA_PX = 90

_WIDGET_CSS: str | None = None


def widget_css() -> str:
    """Focus and font rules injected into every widget's shadow root (read once per process)."""
    global _WIDGET_CSS
    if _WIDGET_CSS is None:
        _WIDGET_CSS = WIDGET_CSS_PATH.read_text(encoding="utf-8")
    return _WIDGET_CSS


def rem(base_px: float, scale: float) -> str:
    """A font size for Bokeh (widgets and canvas text alike) in rem, so that the browser's own
    font-size setting scales it too; `base_px` is the size at 100 % with the default 16 px."""
    return f"{base_px * scale / 16:.4g}rem"


def plain_figure(**kwargs: Any):
    """A figure with no tools (nothing focusable inside the role=img container)."""
    p = figure(tools="", toolbar_location=None, **kwargs)
    p.toolbar.logo = None
    return p


#: The browser locale that writes numbers as the page's language does (for JS formatters).
JS_LOCALES = {"fr": "fr-FR", "en": "en-GB"}


def js_locale(lang: str) -> str:
    """The browser locale for `lang`; a language added later by a translator is its own code."""
    return JS_LOCALES.get(lang, lang)


def tick_formatter(lang: str) -> CustomJSTickFormatter:
    """Axis numbers in the language's notation (12 345,5 / 12,345.5, true minus sign), never
    scientific; the same conventions as the page's own numbers."""
    return CustomJSTickFormatter(
        code=f"return tick.toLocaleString('{js_locale(lang)}', {{maximumFractionDigits: 2}}).replace('-', '\u2212');")


# --------------------------------------------------------------------------- html helpers

def esc(value: Any) -> str:
    """Text made safe for a Div's HTML (every text a Div shows goes through here)."""
    return html.escape(str(value), quote=True)


def html_table(caption: str, headers: Sequence[str], rows: Iterable[Sequence[Any]],
               row_header: bool = True) -> str:
    """An accessible table: caption, column headers with scope, first cell as row header."""
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in headers)
    body = []
    for row in rows:
        cells = [f'<th scope="row">{esc(cell)}</th>' if i == 0 and row_header else f"<td>{esc(cell)}</td>"
                 for i, cell in enumerate(row)]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table class="data-table"><caption>{esc(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def details(summary: str, inner_html: str, open_: bool = False) -> str:
    """A native collapsible block (keyboard-usable without any script)."""
    flag = " open" if open_ else ""
    return f'<details class="data-view"{flag}><summary>{esc(summary)}</summary>{inner_html}</details>'
