"""The standalone monitoring report of `main.py monitor --html FILE`: one HTML file for e-mail.

The same view as the dashboard's monitoring section (`panel_monitoring.MonitoringView`),
rendered by Bokeh with its JavaScript inlined (no server, no network), in the
page's language; the command writes it in one rename (`scoring.cli.monitor`).
"""

from __future__ import annotations

from typing import Any

from bokeh.embed import file_html
from bokeh.resources import INLINE
from bokeh.themes import Theme

from bokeh_app.i18n import check_lang, t
from bokeh_app.panel_base import APP_DIR
from bokeh_app.panel_monitoring import MonitoringView


def report_html(snapshot: dict[str, Any] | None, lang: str = "fr") -> str:
    """The whole page: the snapshot's view under a page heading, `<html lang>` set."""
    lang = check_lang(lang)
    view = MonitoringView(snapshot, lang, heading_level=1)
    view.layout.html_attributes = {"role": "main"}  # the page's one landmark: everything is the report
    html = file_html(view.layout, resources=INLINE, title=t("monitoring.report_title", lang),
                     theme=Theme(filename=str(APP_DIR / "theme.yaml")))
    return html.replace('<html lang="en">', f'<html lang="{lang}">', 1)
