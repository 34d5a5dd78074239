""""About the model": what the model weighs overall, its version, threshold and cache date.

Kept out of the advisor's first screen (the decision and its reasons are what a
meeting needs); built only when the section is opened.
"""

from __future__ import annotations

import logging

from bokeh.layouts import column
from bokeh.models import ColumnDataSource, Div, FactorRange, HBar, Range1d, Text

from bokeh_app import palette, views
from bokeh_app.i18n import check_lang, fmt_date, fmt_number, fmt_percent, fmt_score, t
from bokeh_app.panel_base import (
    BAR_EXTRA_PX,
    BAR_ROW_PX,
    FONT_PX,
    plain_figure,
    rem,
    widget_css,
)
from scoring.service.protocol import Explanation, ScoringClient, points_from_probability

log = logging.getLogger("scoring.dashboard")

#: Features shown in the overall-importance chart.
GLOBAL_TOP = 10


class ModelPanel:
    """Overall importance next to the open client's ranks, and the model's identity card."""

    def __init__(self, client: ScoringClient, lang: str = "fr", top: int = GLOBAL_TOP):
        self.client = client
        self.lang = check_lang(lang)
        self.top = top
        self.scale = 1.0
        self.client_id: int | None = None
        self.explanation: Explanation | None = None
        css = [widget_css()]
        self.heading = Div(sizing_mode="stretch_width", stylesheets=css)
        self.card = Div(sizing_mode="stretch_width", stylesheets=css)
        self.global_heading = Div(sizing_mode="stretch_width", stylesheets=css)
        self.global_note = Div(sizing_mode="stretch_width", stylesheets=css)
        self.global_alt = Div(sizing_mode="stretch_width", stylesheets=css)
        self.global_source = ColumnDataSource(data={k: [] for k in (
            "factor", "value", "global_rank", "local_rank", "bar_text", "text_x")})
        fig = plain_figure(y_range=FactorRange(factors=[]), x_range=Range1d(0, 1), stylesheets=css,
                           height=self._height(self.top), sizing_mode="stretch_width", min_width=320)
        fig.add_glyph(self.global_source, HBar(y="factor", left=0, right="value", height=0.7,
                                               fill_color=palette.GLOBAL_BAR, line_color=palette.GLOBAL_BAR))
        self.global_text = fig.add_glyph(self.global_source, Text(
            x="text_x", y="factor", text="bar_text", text_align="left", text_baseline="middle",
            text_color=palette.TEXT))
        fig.ygrid.visible = False
        fig.xgrid.grid_line_color = palette.GRID
        fig.xgrid.grid_line_alpha = 0.4
        fig.outline_line_color = None
        self.global_fig = fig
        self.layout = column(self.heading, self.card, self.global_heading, self.global_note, self.global_fig,
                             self.global_alt, sizing_mode="stretch_width")
        self.set_text_scale(1.0)

    # -- the Panel interface
    def set_client(self, client_id: int) -> None:
        self.client_id = client_id
        self._refetch()

    def set_language(self, lang: str) -> None:
        self.lang = check_lang(lang)
        self._refetch()

    def set_text_scale(self, scale: float) -> None:
        self.scale = scale
        fig = self.global_fig
        fig.axis.axis_label_text_font_size = rem(FONT_PX["axis_label"], scale)
        fig.axis.major_label_text_font_size = rem(FONT_PX["tick"], scale)
        self.global_text.glyph.text_font_size = rem(FONT_PX["bar_text"], scale)
        self.render()

    # -- internals
    def _height(self, rows: int) -> int:
        return int((BAR_EXTRA_PX + max(rows, 1) * BAR_ROW_PX) * self.scale)

    def _refetch(self) -> None:
        if self.client_id is not None:
            try:
                self.explanation = self.client.explanation(self.client_id, top=self.top, lang=self.lang)
            except Exception:  # noqa: BLE001 - keep the last view, the first screen says what failed
                log.exception("model panel: explanation of %s failed", self.client_id)
        self.render()

    def _card_html(self) -> str:
        lang = self.lang
        try:
            health = self.client.health()
        except Exception:  # noqa: BLE001
            health = {}
        rows = [
            (t("model_version_label", lang), str(health.get("model_version", "—"))),
            (t("threshold_label", lang),
             t("threshold_card_value", lang, points=fmt_score(points_from_probability(float(health["threshold"])), lang),
               probability=fmt_percent(float(health["threshold"]), lang, 2))
             if health.get("threshold") is not None else "—"),
            (t("cache_built_label", lang),
             fmt_date(health["cache_built_at"], lang) if health.get("cache_built_at") else "—"),
            (t("n_clients_label", lang),
             fmt_number(float(health["n_clients"]), lang) if health.get("n_clients") is not None else "—"),
        ]
        items = "".join(f"<dt>{views.esc(k)}</dt><dd>{views.esc(v)}</dd>" for k, v in rows)
        return f'<dl class="model-card">{items}</dl>'

    def render(self) -> None:
        lang = self.lang
        self.heading.text = f'<h2>{views.esc(t("section_model", lang))}</h2>'
        self.card.text = self._card_html()
        self.global_heading.text = f'<h3>{views.esc(t("global_title", lang))}</h3>'
        self.global_note.text = f'<p class="note">{views.esc(t("global_note", lang))}</p>'
        self.global_fig.xaxis.axis_label = t("global_axis", lang)
        if self.explanation is None:
            empty = t("no_client", lang)
            self.global_source.data = {k: [] for k in self.global_source.data}
            self.global_fig.y_range.factors = []
            self.global_alt.text = f'<p class="muted">{views.esc(empty)}</p>'
            self.global_fig.html_attributes = {"role": "img", "aria-label": empty}
            return
        gv = views.global_view(self.explanation, self.top, lang)
        self.global_source.data = gv["data"]
        self.global_fig.y_range.factors = gv["factors"]
        grow = self.scale - 1
        self.global_fig.x_range.update(start=gv["x_range"][0], end=gv["x_range"][1] * (1 + 0.7 * grow))
        self.global_fig.height = self._height(len(gv["factors"]))
        self.global_alt.text = views.summary_html(gv["summary"], lang) + views.details(
            t("show_data", lang), gv["table_html"])
        self.global_fig.html_attributes = {"role": "img", "aria-label": gv["summary"]}


def model_panel(client: ScoringClient, lang: str) -> ModelPanel:
    """The section factory (see `sections.PanelFactory`)."""
    return ModelPanel(client, lang)

