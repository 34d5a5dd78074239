"""The data team's monitoring section: fairness by group, drift of the incoming clients, the score
over time, drawn from the service's monitoring snapshot (`ScoringClient.monitoring`).

`MonitoringView` builds every Bokeh model of one snapshot in one language and
text size (per session, or once for the standalone HTML report of
`main.py monitor --html`); `MonitoringPanel` is the lazily built section and
rebuilds its view when the language or the text size changes. Every chart has
a visible summary sentence, the same sentence as its accessible name
(role="img", aria-label) and a table of its figures; colour is never the only
signal (legends, hatch patterns, bar widths, words for every status).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from bokeh.layouts import column
from bokeh.models import (
    ColumnDataSource,
    CustomJSTickFormatter,
    DatetimeTickFormatter,
    Div,
    FactorRange,
    FixedTicker,
    InlineStyleSheet,
    Legend,
    LegendItem,
    LinearAxis,
    Range1d,
)

from bokeh_app import monitoring_views as mv
from bokeh_app import palette
from bokeh_app.i18n import check_lang, t
from bokeh_app.panel_base import (
    FONT_PX,
    details,
    esc,
    js_locale,
    plain_figure,
    rem,
    tick_formatter,
    widget_css,
)
from bokeh_app.views import summary_html
from scoring.service.protocol import ScoringClient

log = logging.getLogger("scoring.dashboard")

#: The two series of every chart: the reference (solid) and the compared one (hatched, narrower).
FIRST, SECOND = palette.GLOBAL_BAR, palette.ACCEPTANCE
HATCH = "/"
ROW_PX = 34
CHART_PX = 260


class MonitoringView:
    """Every model of one snapshot's section (or report) in one language and text size."""

    def __init__(self, snapshot: dict[str, Any] | None, lang: str = "fr", scale: float = 1.0, *,
                 heading_level: int = 2, error: bool = False):
        self.snapshot = snapshot
        self.lang = check_lang(lang)
        self.scale = scale
        self.h = heading_level
        self.error = error
        self.css = [InlineStyleSheet(css=widget_css())]  # one model for every part: sent once
        self.children: list[Any] = []
        self.figures: list[Any] = []
        self._build()
        self.layout = column(*self.children, sizing_mode="stretch_width")

    # -- building blocks
    def _div(self, html: str) -> None:
        """Text joins the previous text block when there is one (fewer models to build and send)."""
        last = self.children[-1] if self.children else None
        if isinstance(last, Div):
            last.text += html
        else:
            self.children.append(Div(text=html, sizing_mode="stretch_width", stylesheets=self.css))

    def _heading(self, level: int, text: str) -> None:
        self._div(f"<h{self.h + level}>{esc(text)}</h{self.h + level}>")

    def _chart(self, fig: Any, summary: str, table_html: str) -> None:
        """A figure with its accessible name, visible summary sentence and data table."""
        fig.html_attributes = {"role": "img", "aria-label": summary}
        fig.axis.axis_label_text_font_size = rem(FONT_PX["axis_label"], self.scale)
        fig.axis.major_label_text_font_size = rem(FONT_PX["tick"], self.scale)
        fig.axis.axis_label_text_color = palette.TEXT
        fig.axis.major_label_text_color = palette.TEXT
        fig.outline_line_color = None
        for legend in fig.legend:
            legend.label_text_font_size = rem(FONT_PX["tick"], self.scale)
        self.children.append(fig)
        self.figures.append(fig)
        self._div(summary_html(summary, self.lang) + details(t("show_data", self.lang), table_html))

    def _legend(self, fig: Any, items: list[tuple[str, list[Any]]]) -> None:
        legend = Legend(items=[LegendItem(label=label, renderers=r) for label, r in items],
                        orientation="horizontal", location="top_left", click_policy="none")
        fig.add_layout(legend, "above")

    # -- sections
    def _build(self) -> None:
        lang, snap = self.lang, self.snapshot
        self._heading(0, t("monitoring.title", lang))
        if snap is None:
            self._div(mv.paragraph(t("monitoring.error", lang), "message-error") if self.error
                      else mv.paragraph(t("monitoring.none", lang), "note"))
            return
        alarm = bool(snap["alarms"]["drift"])
        self._div(mv.paragraph(mv.intro(snap, lang))
                  + mv.paragraph(mv.drift_alarm_text(snap, lang), "message-error" if alarm else "message-info")
                  + mv.paragraph(mv.findings_text(snap, lang))
                  + mv.paragraph(mv.policy_text(snap, lang), "note"))
        self._fairness()
        self._drift()
        self._activity()

    def _fairness(self) -> None:
        lang, snap = self.lang, self.snapshot
        self._heading(1, t("monitoring.fairness_title", lang))
        self._div(mv.paragraph(t("monitoring.fairness_note", lang, min_group=snap["limits"]["min_group"]), "note"))
        for key in mv.fairness_groupings(snap):
            view = mv.fairness_view(snap, key, lang)
            self._heading(2, view["title"])
            self._chart(self._approval_figure(view), view["summary"], view["table_html"])

    def _approval_figure(self, view: dict[str, Any]) -> Any:
        """Approval rate per group: the hold-out (solid, wide) and every scored client (hatched)."""
        lang, bars = self.lang, view["bars"]
        present = set(bars["factor"])
        factors = [(label, t(mv.SCOPE_KEYS[s], lang)) for label in view["labels"] for s in ("holdout", "scored")
                   if (label, t(mv.SCOPE_KEYS[s], lang)) in present]
        fig = plain_figure(y_range=FactorRange(factors=list(reversed(factors)), group_padding=0.6),
                           x_range=Range1d(0, 1.2), height=int((90 + ROW_PX * len(factors)) * self.scale),
                           sizing_mode="stretch_width", min_width=320, stylesheets=self.css)
        items = []
        for scope, colour, hatch in (("holdout", FIRST, " "), ("scored", SECOND, HATCH)):
            rows = [i for i, s in enumerate(bars["scope"]) if s == scope]
            if not rows:
                continue
            source = ColumnDataSource({"factor": [bars["factor"][i] for i in rows],
                                       "value": [bars["value"][i] for i in rows],
                                       "text": [bars["text"][i] for i in rows],
                                       "text_x": [bars["value"][i] + 0.01 for i in rows]})
            glyph = fig.hbar(y="factor", right="value", left=0, height=0.8, source=source, fill_color=colour,
                             line_color=colour, hatch_pattern=hatch, hatch_color=palette.HATCH_COLOUR,
                             hatch_alpha=0.9)
            fig.text(x="text_x", y="factor", text="text", source=source, text_baseline="middle",
                     text_color=palette.TEXT, text_font_size=rem(FONT_PX["bar_text"], self.scale))
            items.append((t(mv.LEGEND_KEYS[scope], lang), [glyph]))
        fig.xaxis.axis_label = t("monitoring.fairness_axis", lang)
        fig.xaxis.formatter = _percent_ticks(lang)
        fig.xaxis.ticker = FixedTicker(ticks=[0, 0.2, 0.4, 0.6, 0.8, 1.0])
        fig.ygrid.visible = False
        fig.yaxis.group_label_orientation = "horizontal"
        fig.yaxis.group_text_font_size = rem(FONT_PX["tick"], self.scale)
        fig.yaxis.group_text_color = palette.TEXT
        self._legend(fig, items)
        return fig

    def _drift(self) -> None:
        lang, snap = self.lang, self.snapshot
        self._heading(1, t("monitoring.drift_title", lang))
        limits = snap["limits"]
        notes = [t("monitoring.drift_note", lang, watch=mv.ratio(limits["psi_watch"], lang),
                   shift=mv.ratio(limits["psi_shift"], lang))]
        if not snap["drift"]["enough_incoming"]:
            notes.append(t("monitoring.few_incoming", lang, n=limits["min_incoming"]))
        self._div("".join(mv.paragraph(n, "note") for n in notes) + mv.drift_table_html(snap, lang))
        for name in mv.drawn_features(snap):
            view = mv.distribution_view(snap, name, lang)
            self._heading(2, view["title"])
            self._chart(self._distribution_figure(view), view["summary"], view["table_html"])

    def _distribution_figure(self, view: dict[str, Any]) -> Any:
        lang = self.lang
        top = max([*view["reference"], *view["incoming"], 0.01])
        fig = plain_figure(x_range=FactorRange(factors=view["labels"]), y_range=Range1d(0, top * 1.15),
                           height=int(CHART_PX * self.scale), sizing_mode="stretch_width", min_width=320,
                           stylesheets=self.css)
        source = ColumnDataSource({"label": view["labels"], "reference": view["reference"],
                                   "incoming": view["incoming"]})
        ref = fig.vbar(x="label", top="reference", width=0.8, source=source, fill_color=FIRST, line_color=FIRST)
        inc = fig.vbar(x="label", top="incoming", width=0.45, source=source, fill_color=SECOND,
                       line_color=palette.TEXT, hatch_pattern=HATCH, hatch_color=palette.HATCH_COLOUR,
                       hatch_alpha=0.9)
        fig.yaxis.axis_label = t("monitoring.dist_axis", lang)
        fig.yaxis.formatter = _percent_ticks(lang)
        fig.xaxis.major_label_orientation = 0.9 if len(view["labels"]) > 4 else 0
        fig.xgrid.visible = False
        self._legend(fig, [(t("monitoring.legend_reference", lang), [ref]),
                           (t("monitoring.legend_incoming", lang), [inc])])
        return fig

    def _activity(self) -> None:
        lang, snap = self.lang, self.snapshot
        self._heading(1, t("monitoring.activity_title", lang))
        daily = mv.daily_view(snap, lang)
        if daily is None:
            self._div(mv.paragraph(t("monitoring.activity_none", lang,
                                     days=snap["activity"]["window_days"]), "note"))
            return
        dates = _epoch_ms(daily["dates"])
        fig = self._time_figure(t("monitoring.daily_axis_scores", lang))
        bars = fig.vbar(x=dates, top=daily["scores"], width=0.7 * 86_400_000, fill_color=FIRST, line_color=FIRST)
        fig.y_range = Range1d(0, max(daily["scores"]) * 1.15)
        fig.extra_y_ranges = {"rate": Range1d(0, 1)}
        fig.add_layout(LinearAxis(y_range_name="rate", axis_label=t("monitoring.daily_axis_rate", lang),
                                  formatter=_percent_ticks(lang)), "right")
        line = fig.line(x=dates, y=daily["rates"], line_color=SECOND, line_width=2, y_range_name="rate")
        fig.scatter(x=dates, y=daily["rates"], marker="square", size=7, fill_color=SECOND, line_color=SECOND,
                    y_range_name="rate")
        self._legend(fig, [(t("monitoring.legend_scores", lang), [bars]),
                           (t("monitoring.legend_rate", lang), [line])])
        self._chart(fig, daily["summary"], daily["table_html"])
        weekly = mv.weekly_view(snap, lang)
        if weekly is not None:
            weeks = _epoch_ms(weekly["weeks"])
            fig = self._time_figure(t("monitoring.weekly_axis", lang))
            band = fig.varea(x=weeks, y1=weekly["p10"], y2=weekly["p90"], fill_color=FIRST, fill_alpha=0.25,
                             hatch_pattern="x", hatch_color=FIRST, hatch_alpha=0.5)
            median = fig.line(x=weeks, y=weekly["p50"], line_color=palette.TEXT, line_width=2)
            fig.scatter(x=weeks, y=weekly["p50"], marker="circle", size=7, fill_color=palette.TEXT,
                        line_color=palette.TEXT)
            fig.yaxis.formatter = _percent_ticks(lang)
            self._legend(fig, [(t("monitoring.legend_median", lang), [median]),
                               (t("monitoring.legend_band", lang), [band])])
            self._chart(fig, weekly["summary"], weekly["table_html"])

    def _time_figure(self, y_label: str) -> Any:
        fig = plain_figure(x_axis_type="datetime", height=int(CHART_PX * self.scale), sizing_mode="stretch_width",
                           min_width=320, stylesheets=self.css)
        fig.xaxis.formatter = DatetimeTickFormatter(days="%d/%m", months="%m/%Y", years="%Y")
        fig.xaxis.axis_label = t("monitoring.col_date", self.lang)
        fig.yaxis.axis_label = y_label
        fig.yaxis.formatter = tick_formatter(self.lang)
        return fig


def _epoch_ms(days: list[str]) -> list[float]:
    """ISO dates as the milliseconds a datetime axis reads (UTC midnight)."""
    return [datetime.fromisoformat(d[:10]).replace(tzinfo=UTC).timestamp() * 1000.0 for d in days]


def _percent_ticks(lang: str) -> Any:
    """Shares on an axis as percentages in the page's notation."""
    return CustomJSTickFormatter(code=(
        f"return (tick * 100).toLocaleString('{js_locale(lang)}', {{maximumFractionDigits: 1}})"
        f" + '{chr(0x202f) if lang == 'fr' else ''}%';"))


class MonitoringPanel:
    """The monitoring section of one session: the served snapshot, fetched once when opened."""

    def __init__(self, client: ScoringClient, lang: str = "fr"):
        self.client = client
        self.lang = check_lang(lang)
        self.scale = 1.0
        self.error = False
        try:
            self.snapshot = client.monitoring()
        except Exception:  # noqa: BLE001 - the section says so, the page keeps working
            log.exception("monitoring section: snapshot unavailable")
            self.snapshot, self.error = None, True
        self.layout = column(sizing_mode="stretch_width")
        self.render()

    def set_client(self, client_id: int) -> None:
        """The snapshot is about every client: nothing changes with the open client."""

    def set_language(self, lang: str) -> None:
        self.lang = check_lang(lang)
        self.render()

    def set_text_scale(self, scale: float) -> None:
        self.scale = scale
        self.render()

    def render(self) -> None:
        self.view = MonitoringView(self.snapshot, self.lang, self.scale, error=self.error)
        self.layout.children = self.view.children


def monitoring_panel(client: ScoringClient, lang: str) -> MonitoringPanel:
    """The section factory (see `sections.PanelFactory`)."""
    return MonitoringPanel(client, lang)
