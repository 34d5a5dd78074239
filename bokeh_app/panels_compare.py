""""Compared with others": where the client stands in the distribution of one feature.

The scoring service computes the distribution (`ScoringClient.comparison`:
counts per bin or category for each comparison sub-group, the client's
value and percentile); `compare_data` turns that answer into what the panel
shows (bars, legend, sentence, table) in the advisor's language, and
`ComparePanel` owns one session's Bokeh models and only copies fresh data
into them.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

import numpy as np
from bokeh.layouts import column
from bokeh.models import (
    BasicTicker,
    ColumnDataSource,
    Div,
    FixedTicker,
    HoverTool,
    Label,
    Legend,
    LegendItem,
    Select,
    Span,
)
from bokeh.plotting import figure

from bokeh_app import panels_common as pc
from bokeh_app.i18n import check_lang, fmt_number, t
from scoring.service.protocol import Comparison, PopulationInfo, Subgroup, UnknownClient

#: Category tick labels wrap at this many characters (two or three short lines, not one long one).
TICK_WRAP = 14
EMPTY_BARS = {"left": [], "right": [], "top": [], "count": [], "label": [], "count_text": [], "top_text": []}


@dataclass(frozen=True)
class CompareData:
    """Everything the panel shows for one (feature, group, client, language)."""

    bars: list[dict[str, list]]  # one quad source per drawn sub-group (1 or 2)
    legend: list[str]  # one legend label per sub-group
    client_x: float | None  # where the client's marker goes (clipped into the axis)
    client_text: str
    summary: str
    table: dict[str, list]
    ticks: dict[int, str]  # categorical features: tick position -> category label
    group_sizes: list[int]


def _bar_label(lo: float, hi: float, name: str, lang: str) -> str:
    return f"{pc.format_feature_value(name, lo, lang)} – {pc.format_feature_value(name, hi, lang)}"


def compare_data(c: Comparison, label: str, lang: str = "fr") -> CompareData:
    """The service's comparison of feature `c.feature` (readable `label`) as bars and words."""
    lang = check_lang(lang)
    feature = c.feature
    names = [_subgroup_label(g, lang) for g in c.subgroups]
    bars, ticks = [], {}
    if c.kind == "categorical":
        lefts = np.arange(len(c.categories)) - 0.4
        texts = [pc.format_feature_value(feature, v, lang) for v in c.categories]
        ticks = dict(enumerate(texts))
        bars = [_bars(lefts, lefts + 0.8, np.asarray(g.counts, dtype=np.int64), texts, lang)
                for g in c.subgroups]
    else:
        edges = np.asarray(c.edges, dtype=np.float64)
        if c.values is not None:
            texts = [pc.format_feature_value(feature, float(u), lang) for u in c.values]
        else:
            texts = [_bar_label(lo, hi, feature, lang) for lo, hi in zip(edges[:-1], edges[1:])]
        bars = [_bars(edges[:-1], edges[1:], np.asarray(g.counts, dtype=np.int64), texts, lang)
                for g in c.subgroups]
    value_text = pc.format_feature_value(feature, c.client_value, lang)
    sizes = [int(b["count_total"]) for b in bars]
    summary = _summary(c, names, label, value_text, lang)
    table = {"label": texts}
    for i, b in enumerate(bars):
        table[f"count_{i}"] = b["count"]
        table[f"share_{i}"] = [fmt_number(s, lang, 1) for s in b["top"]]
    if len(bars) == 1:
        table["count_1"], table["share_1"] = [""] * len(texts), [""] * len(texts)
    for b in bars:
        del b["count_total"]
    return CompareData(
        bars=bars, legend=names, client_x=c.client_x,
        client_text=t("compare.client", lang, value=value_text), summary=summary, table=table,
        ticks=ticks, group_sizes=sizes,
    )


def _bars(left: np.ndarray, right: np.ndarray, counts: np.ndarray, texts: list[str], lang: str) -> dict:
    """One sub-group's bars; the hover texts are formatted here, in the page's language (Bokeh's
    own tooltip formats are English-only)."""
    total = int(counts.sum())
    share = (100.0 * counts / total) if total else np.zeros(len(counts))
    return {"left": left.tolist(), "right": right.tolist(), "top": share.tolist(),
            "count": counts.astype(int).tolist(), "label": texts, "count_total": total,
            "count_text": [fmt_number(int(n), lang) for n in counts],
            "top_text": [fmt_number(float(s), lang, 1) for s in share]}


def _subgroup_label(g: Subgroup, lang: str) -> str:
    key = g.key
    if key == "age_band":
        band = g.age_band
        if band is None:
            return t("subgroup.all", lang)
        return t("subgroup.age_band", lang, lo=band[0], hi=band[1] - 1)
    if key == "similar":
        return t("subgroup.similar", lang, n=fmt_number(g.size, lang))
    return t(f"subgroup.{key}", lang)


def _summary(c: Comparison, names: list[str], label: str, value_text: str, lang: str) -> str:
    """One sentence: the client's percentile (numeric) or category share (categorical)."""
    if c.client_value is None:
        return t("compare.missing", lang, feature=label)
    pcts = [np.nan if g.share_below is None else g.share_below for g in c.subgroups]
    ties = [g.share_equal or 0.0 for g in c.subgroups]
    ns = [g.size for g in c.subgroups]
    pct_text = [fmt_number(p, lang, 0) if not np.isnan(p) else t("missing", lang) for p in pcts]
    suffix = "_cat" if c.kind == "categorical" else ""
    if len(c.subgroups) == 2:
        return t(f"compare.summary{suffix}_two", lang, feature=label, value=value_text,
                 pct_a=pct_text[0], pct_b=pct_text[1])
    text = t(f"compare.summary{suffix}", lang, feature=label, value=value_text, pct=pct_text[0],
             group=names[0], n=fmt_number(ns[0], lang))
    if ties[0] >= 0.5:
        text += " " + t("compare.ties", lang, equal=fmt_number(ties[0], lang, 0))
    return text


class ComparePanel:
    """Histogram of one feature over a comparison group, the client marked, with a text view."""

    def __init__(self, client: Any, lang: str = "fr", info: PopulationInfo | None = None):
        self.client = client
        self.info = info if info is not None else client.population()
        self.features = {f.name: f for f in self.info.features}
        self.lang = check_lang(lang)
        self.scale = 1.0
        self.client_id: int | None = None
        self.css = pc.new_stylesheet()
        self.sheets = [pc.house_stylesheet(), self.css]
        options = pc.feature_options(self.info, self.lang)
        start = pc.default_features(self.info, 1)
        self.feature = start[0] if start else pc.first_option(options)
        self.group = "all"

        self.title = Div(stylesheets=self.sheets)
        self.feature_select = Select(value=self.feature, options=options, stylesheets=self.sheets)
        self.group_select = Select(value=self.group, options=self._group_options(),
                                   stylesheets=self.sheets)
        self.sources = [ColumnDataSource(dict(EMPTY_BARS)), ColumnDataSource(dict(EMPTY_BARS))]
        fig = figure(height=320, sizing_mode="stretch_width", tools="xpan,xwheel_zoom,reset,save",
                     toolbar_location="above", y_range=(0, 1))
        fig.y_range.start = 0
        pc.style_figure(fig)
        self.renderers = [
            fig.quad(left="left", right="right", top="top", bottom=0, source=self.sources[0],
                     fill_color=pc.GRANTED, fill_alpha=0.45, line_color=pc.GRANTED, line_width=1.5),
            fig.quad(left="left", right="right", top="top", bottom=0, source=self.sources[1],
                     fill_color=pc.REFUSED, fill_alpha=0.30, line_color=pc.REFUSED, line_width=2,
                     line_dash="dashed", hatch_pattern="/", hatch_color=pc.REFUSED,
                     hatch_alpha=0.9, hatch_scale=10),
        ]
        self.legend_items = [LegendItem(label="", renderers=[r]) for r in self.renderers]
        # Above the plot, never over the bars.
        self.legend = Legend(items=list(self.legend_items), location="top_left", orientation="horizontal",
                             label_text_color=pc.TEXT, border_line_color=None)
        fig.add_layout(self.legend, "above")
        self.span = Span(location=0, dimension="height", line_color=pc.CLIENT, line_width=3,
                         visible=False)
        self.marker_label = Label(x=0, y=0, y_units="screen", text="", text_color=pc.CLIENT,
                                  background_fill_color="white", background_fill_alpha=0.9,
                                  x_offset=6, visible=False)
        fig.add_layout(self.span)
        fig.add_layout(self.marker_label)
        self.hover = HoverTool(renderers=self.renderers)
        fig.add_tools(self.hover)
        self.figure = fig
        self.basic_ticker, self.fixed_ticker = BasicTicker(), FixedTicker(ticks=[])
        fig.xaxis[0].ticker = self.basic_ticker
        self.summary = Div(stylesheets=self.sheets)
        self.note = Div(stylesheets=self.sheets)
        self.table = Div(stylesheets=self.sheets, sizing_mode="stretch_width")
        self.feature_select.on_change("value", self._on_feature)
        self.group_select.on_change("value", self._on_group)
        self.layout = column(
            self.title, column(self.feature_select, self.group_select, sizing_mode="stretch_width"),
            self.figure, self.summary, self.note, self.table,
            sizing_mode="stretch_width",
        )
        self._apply_texts()
        self.refresh()

    # -- public interface
    def set_client(self, client_id: int) -> None:
        self.client_id = int(client_id)
        self.refresh()

    def set_language(self, lang: str) -> None:
        self.lang = check_lang(lang)
        self.feature_select.options = pc.feature_options(self.info, self.lang)
        self.group_select.options = self._group_options()
        self._apply_texts()
        self.refresh()

    def set_text_scale(self, scale: float) -> None:
        self.scale = pc.clamp_scale(scale)
        self.css.css = pc.widget_css(self.scale)
        pc.scale_figure(self.figure, self.scale)
        pc.scale_texts([self.marker_label], self.scale)
        self.figure.height = round(320 * self.scale)  # room for the larger text
        self.title.text = self._title_html()

    # -- callbacks
    def _on_feature(self, _attr: str, _old: Any, new: str) -> None:
        self.feature = new
        self.refresh()

    def _on_group(self, _attr: str, _old: Any, new: str) -> None:
        if new not in self.info.comparison_groups:
            return
        self.group = new
        self.refresh()

    def refresh(self) -> None:
        """Recompute and copy the data of the current feature, group, client and language."""
        if self.feature is None:
            return
        data = compare_data(self._comparison(), self._label(), self.lang)
        for i, src in enumerate(self.sources):
            src.data = data.bars[i] if i < len(data.bars) else dict(EMPTY_BARS)
        two = len(data.bars) == 2
        for i, item in enumerate(self.legend_items):
            item.label = {"value": data.legend[i] if i < len(data.legend) else ""}
            item.visible = i < len(data.legend)
        self.renderers[1].visible = two
        tops = [max(b["top"], default=0.0) for b in data.bars]
        self.figure.y_range.end = max(tops + [1.0]) * 1.12
        xaxis = self.figure.xaxis[0]
        xaxis.axis_label = self._label()
        # the two tickers are made once: a new model per refresh would make the document
        # re-walk its whole model graph on every click
        if data.ticks:
            self.fixed_ticker.ticks = list(data.ticks)
            xaxis.ticker = self.fixed_ticker
            # long category names wrap onto lines of their own, so neighbours never overlap
            xaxis.major_label_overrides = {int(k): "\n".join(textwrap.wrap(v, TICK_WRAP) or [v])
                                           for k, v in data.ticks.items()}
            xaxis.major_label_orientation = 0.8 if len(data.ticks) > 6 else "horizontal"
        else:
            xaxis.ticker = self.basic_ticker
            xaxis.major_label_orientation = "horizontal"
            xaxis.major_label_overrides = {}
        self.span.visible = self.marker_label.visible = data.client_x is not None
        if data.client_x is not None:
            self.span.location = data.client_x
            self.marker_label.x = data.client_x
            self.marker_label.y = 10
            self.marker_label.text = data.client_text
            # the label goes on the side of the line that has room, so it is never cut at the edge
            lo = min((b["left"][0] for b in data.bars if b["left"]), default=data.client_x)
            hi = max((b["right"][-1] for b in data.bars if b["right"]), default=data.client_x)
            right_half = data.client_x > (lo + hi) / 2
            self.marker_label.text_align = "right" if right_half else "left"
            self.marker_label.x_offset = -6 if right_half else 6
        self.summary.text = (f"<p class='chart-summary' role='status' aria-live='polite'>"
                             f"{pc.esc(data.summary)}</p>")
        self.figure.html_attributes = {"role": "figure", "aria-label": data.summary}
        self.table_data = data.table
        self.table.text = self._table_html(two, data)
        self.data = data

    # -- texts
    def _group_options(self) -> list[tuple[str, str]]:
        return [(g, t(f"group.{g}", self.lang)) for g in self.info.comparison_groups]

    def _label(self) -> str:
        return pc.feature_label(self.features[self.feature], self.lang)

    def _comparison(self) -> Comparison:
        """The service's comparison; a client it does not know is shown without a marker."""
        try:
            return self.client.comparison(self.feature, self.group, self.client_id, self.lang)
        except UnknownClient:
            return self.client.comparison(self.feature, self.group, None, self.lang)

    def _title_html(self) -> str:
        return pc.heading(2, t("compare.title", self.lang), self.scale)

    def _apply_texts(self) -> None:
        lang = self.lang
        self.title.text = self._title_html()
        self.feature_select.title = t("compare.feature", lang)
        self.group_select.title = t("compare.group", lang)
        self.figure.yaxis[0].axis_label = t("compare.y", lang)
        pc.set_tick_formatters([*self.figure.xaxis, *self.figure.yaxis], lang)
        self.note.text = (f"<p>{pc.esc(t('compare.protected_note', lang))} "
                          f"{pc.esc(t('compare.note_outliers', lang))}</p>")
        self.hover.tooltips = [(t("table.bin", lang), "@label"), (t("table.count", lang), "@count_text"),
                               (t("compare.y", lang), "@top_text")]
        pc.describe_tools(self.figure, lang)

    def _table_html(self, two: bool, data: CompareData) -> str:
        """The histogram as a table (inside a native, keyboard-usable <details>)."""
        lang = self.lang
        info = self.features[self.feature]
        first = t("table.category" if info.kind == "categorical" else "table.bin", lang)
        headers = [first]
        for i in range(2 if two else 1):
            headers += [f"{data.legend[i]} – {t('table.count', lang)}", f"{data.legend[i]} – %"]
        rows = []
        for j, label in enumerate(data.table["label"]):
            cells = [label]
            for i in range(2 if two else 1):
                cells += [fmt_number(data.table[f"count_{i}"][j], lang),
                          data.table[f"share_{i}"][j]]
            rows.append(cells)
        caption = f"{pc.feature_label(info, lang)} – {', '.join(data.legend)}"
        return pc.details(t("table.show", lang), pc.html_table(caption, headers, rows))

