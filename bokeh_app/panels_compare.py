""""Compared with others": where the client stands in the distribution of one feature.

`compare_data` is the pure computation (histogram per sub-group, the client's
value and percentile, the sentence); `ComparePanel` owns one session's Bokeh
models and only copies fresh data into them.
"""

from __future__ import annotations

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
from scoring.service.population import (
    GROUPS,
    Population,
    age_band,
    bin_edges,
    category_counts,
    comparison_groups,
    discrete_values,
    histogram,
    share_below_equal,
)

EMPTY_BARS = {"left": [], "right": [], "top": [], "count": [], "label": []}


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


def compare_data(pop: Population, feature: str, group: str, client_index: int | None,
                 lang: str = "fr") -> CompareData:
    """Histogram(s) of `feature` over the comparison group(s) and the client's place in them."""
    lang = check_lang(lang)
    info, col = pop.feature(feature), pop.column(feature)
    label = info.label(lang)
    anchor = client_index if client_index is not None else 0
    subgroups = comparison_groups(pop, group, anchor)
    names = [_subgroup_label(pop, key, mask, anchor, lang) for key, mask in subgroups]
    bars, ticks = [], {}
    if col.kind == "categorical":
        k = len(col.categories)
        lefts = np.arange(k) - 0.4
        texts = [pc.format_feature_value(feature, c, lang) for c in col.categories]
        ticks = dict(enumerate(texts))
        for _, mask in subgroups:
            counts = category_counts(col.values, mask, k)
            bars.append(_bars(lefts, lefts + 0.8, counts, texts))
        client_value = col.values[client_index] if client_index is not None else -1
        client_x = float(client_value) if client_value >= 0 else None
        value_text = texts[client_value] if client_value >= 0 else t("missing", lang)
    else:
        edges = bin_edges(pop, feature)
        uniq = discrete_values(pop, feature)
        if uniq is not None:
            texts = [pc.format_feature_value(feature, float(u), lang) for u in uniq]
        else:
            texts = [_bar_label(lo, hi, feature, lang) for lo, hi in zip(edges[:-1], edges[1:])]
        for _, mask in subgroups:
            counts, _ = histogram(col.values, mask, edges)
            bars.append(_bars(edges[:-1], edges[1:], counts, texts))
        v = col.values[client_index] if client_index is not None else np.nan
        client_x = None if np.isnan(v) else float(np.clip(v, edges[0], edges[-1]))
        value_text = pc.format_feature_value(feature, None if np.isnan(v) else float(v), lang)
    sizes = [int(b["count_total"]) for b in bars]
    summary = _summary(pop, col, client_index, subgroups, names, label, value_text, lang)
    table = {"label": texts}
    for i, b in enumerate(bars):
        table[f"count_{i}"] = b["count"]
        table[f"share_{i}"] = [fmt_number(s, lang, 1) for s in b["top"]]
    if len(bars) == 1:
        table["count_1"], table["share_1"] = [""] * len(texts), [""] * len(texts)
    for b in bars:
        del b["count_total"]
    return CompareData(
        bars=bars, legend=names, client_x=client_x,
        client_text=t("compare.client", lang, value=value_text), summary=summary, table=table,
        ticks=ticks, group_sizes=sizes,
    )


def _bars(left: np.ndarray, right: np.ndarray, counts: np.ndarray, texts: list[str]) -> dict:
    total = int(counts.sum())
    share = (100.0 * counts / total) if total else np.zeros(len(counts))
    return {"left": left.tolist(), "right": right.tolist(), "top": share.tolist(),
            "count": counts.astype(int).tolist(), "label": texts, "count_total": total}


def _subgroup_label(pop: Population, key: str, mask: np.ndarray, anchor: int, lang: str) -> str:
    if key == "age_band":
        band = age_band(pop.age_years[anchor])
        if band is None:
            return t("subgroup.all", lang)
        return t("subgroup.age_band", lang, lo=band[0], hi=band[1] - 1)
    if key == "similar":
        return t("subgroup.similar", lang, n=fmt_number(int(mask.sum()), lang))
    return t(f"subgroup.{key}", lang)


def _summary(pop: Population, col: Any, client_index: int | None, subgroups: list,
             names: list[str], label: str, value_text: str, lang: str) -> str:
    """One sentence: the client's percentile (numeric) or category share (categorical)."""
    if client_index is None or bool(col.missing[client_index]):
        return t("compare.missing", lang, feature=label)
    x = col.values[client_index]
    pcts, ties, ns = [], [], []
    for _, mask in subgroups:
        if col.kind == "categorical":
            vals = col.values[mask]
            known = vals[vals >= 0]
            pcts.append(100.0 * np.count_nonzero(known == x) / known.size if known.size else np.nan)
            ties.append(0.0)
        else:
            below, equal = share_below_equal(col.values[mask], float(x))
            pcts.append(below)
            ties.append(equal)
        ns.append(int(np.count_nonzero(mask)))
    pct_text = [fmt_number(p, lang, 0) if not np.isnan(p) else t("missing", lang) for p in pcts]
    suffix = "_cat" if col.kind == "categorical" else ""
    if len(subgroups) == 2:
        return t(f"compare.summary{suffix}_two", lang, feature=label, value=value_text,
                 pct_a=pct_text[0], pct_b=pct_text[1])
    text = t(f"compare.summary{suffix}", lang, feature=label, value=value_text, pct=pct_text[0],
             group=names[0], n=fmt_number(ns[0], lang))
    if ties[0] >= 0.5:
        text += " " + t("compare.ties", lang, equal=fmt_number(ties[0], lang, 0))
    return text


class ComparePanel:
    """Histogram of one feature over a comparison group, the client marked, with a text view."""

    def __init__(self, client: Any, population: Population, lang: str = "fr"):
        self.client, self.pop = client, population
        self.lang = check_lang(lang)
        self.scale = 1.0
        self.client_index: int | None = None
        self.css = pc.new_stylesheet()
        self.sheets = [pc.house_stylesheet(), self.css]
        options = pc.feature_options(population, self.lang)
        start = pc.default_features(population, 1)
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
        self.legend = Legend(items=list(self.legend_items), location="top_right",
                             label_text_color=pc.TEXT, background_fill_alpha=0.9)
        fig.add_layout(self.legend)
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
        self.client_index = self.pop.row_of(client_id)
        self.refresh()

    def set_language(self, lang: str) -> None:
        self.lang = check_lang(lang)
        self.feature_select.options = pc.feature_options(self.pop, self.lang)
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
        if new not in GROUPS:
            return
        self.group = new
        self.refresh()

    def refresh(self) -> None:
        """Recompute and copy the data of the current feature, group, client and language."""
        if self.feature is None:
            return
        data = compare_data(self.pop, self.feature, self.group, self.client_index, self.lang)
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
        xaxis.axis_label = self.pop.feature(self.feature).label(self.lang)
        # the two tickers are made once: a new model per refresh would make the document
        # re-walk its whole model graph on every click
        if data.ticks:
            self.fixed_ticker.ticks = list(data.ticks)
            xaxis.ticker = self.fixed_ticker
            xaxis.major_label_overrides = {int(k): v for k, v in data.ticks.items()}
            xaxis.major_label_orientation = 0.8 if len(data.ticks) > 5 else "horizontal"
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
        self.summary.text = (f"<p class='chart-summary' role='status' aria-live='polite'>"
                             f"{_esc(data.summary)}</p>")
        self.figure.html_attributes = {"role": "figure", "aria-label": data.summary}
        self.table_data = data.table
        self.table.text = self._table_html(two, data)
        self.data = data

    # -- texts
    def _group_options(self) -> list[tuple[str, str]]:
        return [(g, t(f"group.{g}", self.lang)) for g in GROUPS]

    def _title_html(self) -> str:
        return pc.heading(2, t("compare.title", self.lang), self.scale)

    def _apply_texts(self) -> None:
        lang = self.lang
        self.title.text = self._title_html()
        self.feature_select.title = t("compare.feature", lang)
        self.group_select.title = t("compare.group", lang)
        self.figure.yaxis[0].axis_label = t("compare.y", lang)
        pc.set_tick_formatters([*self.figure.xaxis, *self.figure.yaxis], lang)
        self.note.text = (f"<p>{_esc(t('compare.protected_note', lang))} "
                          f"{_esc(t('compare.note_outliers', lang))}</p>")
        self.hover.tooltips = [(t("table.bin", lang), "@label"), (t("table.count", lang), "@count"),
                               (t("compare.y", lang), "@top{0.0}")]

    def _table_html(self, two: bool, data: CompareData) -> str:
        """The histogram as a table (inside a native, keyboard-usable <details>)."""
        lang = self.lang
        info = self.pop.feature(self.feature)
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
        caption = f"{info.label(lang)} – {', '.join(data.legend)}"
        return pc.details(t("table.show", lang), pc.html_table(caption, headers, rows))


def _esc(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
