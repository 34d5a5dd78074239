"""Two features at once: a risk-coloured scatter of the population, and linked brushing.

The browser receives at most `MAX_POINTS` background points (a deterministic
sample stratified by risk decile, served by `ScoringClient.scatter`) drawn
with WebGL, plus the client as a separate, always-drawn star.

Brushing (the data team's view). A box or lasso selection on the scatter
updates a histogram of predicted probability and a summary (count, observed
default rate among train clients, mean predicted probability, share refused).
Choice documented here: the summary covers **every population client inside
the selected geometry**, not only the sampled points the browser shows. The
server receives the selected sample indices first (`selected.indices`, used
at once as a provisional summary of those clients, `ScoringClient.selection`
by ids) and then the final `SelectionGeometry` event; when that geometry
reproduces the selection (a plain box or lasso), the service summarises every
population client inside it. Selections combined with Shift/Ctrl (union,
intersection) keep the sample-based summary. Clearing the selection (button,
or an empty selection) restores the whole population.

Keyboard and assistive technology: four bound fields select a box without a
mouse and follow a box dragged with it (4 significant digits, the page's
number format); a bound that is no number is named in its message. Tooltips
name the features and show the nearest point only, numbers in the page's
language; every tool has a description and each figure a role and an
aria-label that names and summarises it (helpers: `panels_scatter_views`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from bokeh.events import SelectionGeometry
from bokeh.layouts import column, row
from bokeh.models import (
    BoxSelectTool,
    Button,
    ColorBar,
    ColumnDataSource,
    Div,
    HoverTool,
    Label,
    LassoSelectTool,
    Legend,
    LegendItem,
    LinearColorMapper,
    Select,
    Span,
    TextInput,
)
from bokeh.palettes import Cividis256
from bokeh.plotting import figure

from bokeh_app import panels_common as pc
from bokeh_app.i18n import check_lang, fmt_number, fmt_percent, t
from bokeh_app.panels_scatter_views import (
    bound_text,
    local_number,
    parse_bound,
)
from scoring.service.protocol import (
    PopulationInfo,
    ScatterSample,
    Selection,
    SelectionStats,
    UnknownClient,
    region_contains,
)

#: Most background points sent to the browser.
MAX_POINTS = 20_000
#: Share of the selected sample points a geometry must reproduce to stand for the selection.
GEOMETRY_AGREEMENT = 0.98


@dataclass(frozen=True)
class BrushData:
    """What the brushing view shows for one selection (everybody when nothing is selected)."""

    summary: dict[str, float | int | None]
    hist_all: dict[str, list]
    hist_sel: dict[str, list]
    sentence: str
    table: dict[str, list]


def summary_of(stats: SelectionStats) -> dict[str, float | int | None]:
    """Count, train count, observed default rate, mean probability, share refused."""
    return {"count": stats.count, "train_count": stats.train_count, "default_rate": stats.default_rate,
            "mean_proba": stats.mean_probability, "share_refused": stats.share_refused}


def _proba_hist(counts: list[int], edges: np.ndarray, lang: str) -> dict[str, list]:
    counts_a = np.asarray(counts, dtype=np.int64)
    total = counts_a.sum()
    share = 100.0 * counts_a / total if total else np.zeros(len(counts_a))
    labels = [f"{fmt_percent(lo, lang, 1)} – {fmt_percent(hi, lang, 1)}" for lo, hi in
              zip(edges[:-1], edges[1:])]
    return {"left": edges[:-1].tolist(), "right": edges[1:].tolist(), "top": share.tolist(),
            "count": counts_a.tolist(), "label": labels}


def brush_data(sel: Selection, lang: str = "fr") -> BrushData:
    """Summary and histograms of a selection next to the whole population."""
    lang = check_lang(lang)
    everyone = sel.everyone
    edges = np.asarray(sel.edges, dtype=np.float64)
    summary, whole = summary_of(sel.selection), summary_of(sel.population)
    hist_all = _proba_hist(sel.population.histogram, edges, lang)
    hist_sel = ({k: [] for k in hist_all} if everyone else _proba_hist(sel.selection.histogram, edges, lang))
    scope = t("brush.all", lang) if everyone else t("brush.selection", lang)
    values = [fmt_number(summary["count"], lang), fmt_percent(summary["default_rate"], lang),
              fmt_percent(summary["mean_proba"], lang), fmt_percent(summary["share_refused"], lang)]
    sentence = t("brush.summary", lang, scope=scope, count=values[0], rate=values[1],
                 train=fmt_number(summary["train_count"], lang), proba=values[2],
                 refused=values[3])
    table = {
        "metric": [t(k, lang) for k in ("brush.count", "brush.rate", "brush.proba",
                                        "brush.refused")],
        "selection": values,
        "population": [fmt_number(whole["count"], lang), fmt_percent(whole["default_rate"], lang),
                       fmt_percent(whole["mean_proba"], lang), fmt_percent(whole["share_refused"], lang)],
    }
    return BrushData(summary, hist_all, hist_sel, sentence, table)


class ScatterPanel:
    """Scatter of two features coloured by risk, the client starred, with linked brushing."""

    def __init__(self, client: Any, lang: str = "fr", max_points: int = MAX_POINTS,
                 info: PopulationInfo | None = None):
        self.client = client
        self.info = info if info is not None else client.population()
        self.features = {f.name: f for f in self.info.features}
        self.lang = check_lang(lang)
        self.scale = 1.0
        self.max_points = max_points
        self.client_id: int | None = None
        self.css = pc.new_stylesheet()
        self.sheets = [pc.house_stylesheet(), self.css]
        options = pc.feature_options(self.info, self.lang, numeric_only=True)
        start = pc.default_features(self.info, 2, numeric_only=True)
        self.x_name = start[0] if start else pc.first_option(options)
        self.y_name = start[1] if len(start) > 1 else self.x_name
        self.sample: ScatterSample | None = None
        self.sample_ids = np.zeros(0, dtype=np.int64)  # client id of each point sent
        self.everyone: Selection = client.selection(lang=self.lang)  # nothing selected
        self.selection: Selection = self.everyone
        self.selection_source = "none"  # "none" | "sample" | "geometry": how clients were found

        self.title = Div(stylesheets=self.sheets)
        self.help = Div(stylesheets=self.sheets)
        self.x_select = Select(value=self.x_name, options=options, stylesheets=self.sheets)
        self.y_select = Select(value=self.y_name, options=options, stylesheets=self.sheets)
        self.source = ColumnDataSource({"x": [], "y": [], "proba": [], "id": []})
        self.client_source = ColumnDataSource({"x": [], "y": [], "proba": []})
        self.mapper = LinearColorMapper(palette=Cividis256, low=0.0,
                                        high=self._colour_high())
        fig = figure(height=420, sizing_mode="stretch_width", output_backend="webgl",
                     tools="pan,wheel_zoom,reset,save", toolbar_location="above")
        pc.style_figure(fig)
        self.points = fig.scatter("x", "y", source=self.source, size=4, alpha=0.6,
                                  color={"field": "proba", "transform": self.mapper},
                                  selection_color="black", selection_alpha=0.9,
                                  nonselection_alpha=0.12)
        self.star = fig.scatter("x", "y", source=self.client_source, marker="star", size=26,
                                fill_color="white", line_color=pc.CLIENT, line_width=3)
        self.star_label = Label(x=0, y=0, text="", x_offset=14, y_offset=8, text_color=pc.CLIENT,
                                background_fill_color="white", background_fill_alpha=0.9,
                                border_line_color=pc.CLIENT, visible=False)
        fig.add_layout(self.star_label)
        self.box = BoxSelectTool(renderers=[self.points], continuous=False)
        self.lasso = LassoSelectTool(renderers=[self.points], continuous=False)
        fig.add_tools(self.box, self.lasso)
        fig.toolbar.active_drag = self.box
        # one tooltip, the nearest point, even where points pile up
        self.hover = HoverTool(renderers=[self.points], limit=1, point_policy="snap_to_data")
        fig.add_tools(self.hover)
        self.color_bar = ColorBar(color_mapper=self.mapper, title_text_color=pc.TEXT,
                                  major_label_text_color=pc.TEXT)
        fig.add_layout(self.color_bar, "right")
        self.legend_item = LegendItem(label="", renderers=[self.star])
        fig.add_layout(Legend(items=[self.legend_item], location="top_left",
                              label_text_color=pc.TEXT, background_fill_alpha=0.9))
        self.figure = fig
        self.summary = Div(stylesheets=self.sheets)
        self.table = Div(stylesheets=self.sheets, sizing_mode="stretch_width")

        # brushing view
        self.brush_title = Div(stylesheets=self.sheets)
        self.clear_button = Button(stylesheets=self.sheets)
        self.clear_button.on_click(self.clear_selection)
        # keyboard alternative to the box tool: four labelled bounds and a button
        self.keyboard_help = Div(stylesheets=self.sheets)
        self.bounds = {k: TextInput(value="", sizing_mode="stretch_width", stylesheets=self.sheets)
                       for k in ("x0", "x1", "y0", "y1")}
        self.bounds_message = Div(stylesheets=self.sheets)
        self.apply_button = Button(stylesheets=self.sheets)
        self.apply_button.on_click(self.apply_bounds)
        self.hist_all_source = ColumnDataSource({"left": [], "right": [], "top": [], "count": [],
                                                 "label": []})
        self.hist_sel_source = ColumnDataSource(dict(self.hist_all_source.data))
        hist = figure(height=260, sizing_mode="stretch_width", tools="save",
                      toolbar_location="above", x_range=(0, 1), y_range=(0, 1))
        pc.style_figure(hist)
        self.hist_renderers = [
            hist.quad(left="left", right="right", top="top", bottom=0, source=self.hist_all_source,
                      fill_color=None, line_color=pc.NEUTRAL, line_width=2, line_dash="dashed"),
            hist.quad(left="left", right="right", top="top", bottom=0, source=self.hist_sel_source,
                      fill_color=pc.SELECTION, fill_alpha=0.5, line_color=pc.SELECTION,
                      hatch_pattern="x", hatch_color="white", hatch_alpha=0.6, hatch_scale=8),
        ]
        self.hist_legend = [LegendItem(label="", renderers=[r]) for r in self.hist_renderers]
        hist.add_layout(Legend(items=list(self.hist_legend), location="top_right",
                               label_text_color=pc.TEXT, background_fill_alpha=0.9))
        self.threshold_span = Span(location=self.info.threshold, dimension="height",
                                   line_color=pc.CLIENT, line_width=2, line_dash="dotted")
        self.threshold_label = Label(x=self.info.threshold, y=5, y_units="screen", x_offset=4,
                                     text="", text_color=pc.CLIENT, background_fill_color="white",
                                     background_fill_alpha=0.9)
        hist.add_layout(self.threshold_span)
        hist.add_layout(self.threshold_label)
        self.hist_hover = HoverTool(renderers=self.hist_renderers)
        hist.add_tools(self.hist_hover)
        self.hist = hist
        self.brush_summary = Div(stylesheets=self.sheets)
        self.brush_table = Div(stylesheets=self.sheets, sizing_mode="stretch_width")

        self.x_select.on_change("value", self._on_axis)
        self.y_select.on_change("value", self._on_axis)
        self.source.selected.on_change("indices", self._on_indices)
        self.figure.on_event(SelectionGeometry, self._on_geometry)
        self.layout = column(
            self.title, column(self.x_select, self.y_select, sizing_mode="stretch_width"),
            self.help, self.figure, self.summary, self.table,
            self.brush_title, self.keyboard_help,
            row(*self.bounds.values(), sizing_mode="stretch_width"), self.bounds_message,
            row(self.apply_button, self.clear_button), self.hist, self.brush_summary, self.brush_table,
            sizing_mode="stretch_width",
        )
        self._apply_texts()
        self.refresh()

    # -- public interface
    def set_client(self, client_id: int) -> None:
        self.client_id = int(client_id)
        self.refresh()

    def set_language(self, lang: str) -> None:
        old, self.lang = self.lang, check_lang(lang)
        for widget in self.bounds.values():  # typed bounds in the new language's notation
            widget.value = _retype(widget.value, old, self.lang)
        options = pc.feature_options(self.info, self.lang, numeric_only=True)
        self.x_select.options = options
        self.y_select.options = options
        self._apply_texts()
        self._describe()
        self._update_brush()

    def set_text_scale(self, scale: float) -> None:
        self.scale = pc.clamp_scale(scale)
        self.css.css = pc.widget_css(self.scale)
        for fig in (self.figure, self.hist):
            pc.scale_figure(fig, self.scale)
        self.figure.height = round(420 * (1 + (self.scale - 1) / 2))  # room for the larger text
        self.hist.height = round(260 * self.scale)
        pc.scale_texts([self.star_label, self.threshold_label], self.scale)
        self._apply_texts()

    def clear_selection(self) -> None:
        """Forget the brush: the summary covers the whole population again."""
        if self.source.selected.indices:
            self.source.selected.indices = []  # its callback restores the whole population
        if self.has_selection:
            self._set_selection(None, "none")

    @property
    def has_selection(self) -> bool:
        return self.selection_source != "none"

    def select_box(self, x0: float, x1: float, y0: float, y1: float) -> None:
        """Select every population client inside a box (the keyboard path; same as a brush)."""
        geometry = {"type": "rect", "x0": float(x0), "x1": float(x1), "y0": float(y0),
                    "y1": float(y1)}
        sample_in = region_contains(geometry, self.source.data["x"], self.source.data["y"])
        self.source.selected.indices = np.flatnonzero(sample_in).tolist()  # highlight
        self._select_region(geometry)

    # -- callbacks
    def _on_axis(self, _attr: str, _old: Any, _new: str) -> None:
        self.x_name, self.y_name = self.x_select.value, self.y_select.value
        self.refresh()

    def _on_indices(self, _attr: str, _old: Any, new: list[int]) -> None:
        if not new:
            self._set_selection(None, "none")
            return
        idx = np.asarray(new, dtype=np.int64)
        idx = idx[(idx >= 0) & (idx < self.sample_ids.size)]
        self._set_selection(self.client.selection(client_ids=self.sample_ids[idx].tolist(), lang=self.lang),
                            "sample")

    def _on_geometry(self, event: SelectionGeometry) -> None:
        if not event.final or not event.geometry:
            return
        geometry = dict(event.geometry)
        try:
            sample_in = region_contains(geometry, self.source.data["x"], self.source.data["y"])
        except (KeyError, ValueError, TypeError):
            return
        chosen = np.zeros(self.sample_ids.size, dtype=bool)
        sel = np.asarray(self.source.selected.indices, dtype=np.int64)
        chosen[sel[(sel >= 0) & (sel < chosen.size)]] = True
        both = np.count_nonzero(sample_in & chosen)
        either = np.count_nonzero(sample_in | chosen)
        if either == 0 or both / either < GEOMETRY_AGREEMENT:
            return  # a combined (Shift/Ctrl) selection: keep the sample-based summary
        if geometry.get("type") == "rect":
            self._show_bounds(geometry)  # the keyboard fields follow the dragged box
        self._select_region(geometry)

    def _select_region(self, geometry: dict[str, Any]) -> None:
        """Every population client inside the geometry, summarised by the service."""
        self._set_selection(self.client.selection(self.x_name, self.y_name, geometry, lang=self.lang),
                            "geometry")

    def _set_selection(self, selection: Selection | None, how: str) -> None:
        self.selection = selection if selection is not None else self.everyone
        self.selection_source = how
        self._update_brush()

    # -- data
    def refresh(self) -> None:
        """Re-sample and redraw the scatter for the current axes and client; clear the brush."""
        sample = self.sample = self._sample()
        self.sample_ids = np.asarray(sample.client_ids, dtype=np.int64)
        if self.source.selected.indices:
            self.source.selected.indices = []
        self.source.data = {"x": sample.xs, "y": sample.ys, "proba": sample.probability,
                            "id": sample.client_ids}
        me = sample.client
        drawable = me is not None and me.x is not None and me.y is not None
        self.client_source.data = ({"x": [me.x], "y": [me.y], "proba": [me.probability]} if drawable
                                   else {"x": [], "y": [], "proba": []})
        self.star_label.visible = bool(drawable)
        if drawable:
            self.star_label.x, self.star_label.y = me.x, me.y
        self.selection, self.selection_source = self.everyone, "none"
        self._reset_bounds()
        self._describe()
        self._update_brush()

    def _sample(self) -> ScatterSample:
        """The service's sample; a client it does not know is simply not starred."""
        try:
            return self.client.scatter(self.x_name, self.y_name, self.client_id, self.max_points, self.lang)
        except UnknownClient:
            return self.client.scatter(self.x_name, self.y_name, None, self.max_points, self.lang)

    def _reset_bounds(self) -> None:
        """Bounds prefilled with each axis' displayed range (quantiles 0.5 %-99.5 %)."""
        for axis, (lo, hi) in (("x", self.sample.x_range), ("y", self.sample.y_range)):
            self.bounds[f"{axis}0"].value = bound_text(float(lo), self.lang)
            self.bounds[f"{axis}1"].value = bound_text(float(hi), self.lang)
        self.bounds_message.text = ""

    def _show_bounds(self, geometry: dict[str, Any]) -> None:
        """A box's bounds in the four fields, 4 significant digits, the page's number format."""
        for key in ("x0", "x1", "y0", "y1"):
            self.bounds[key].value = bound_text(float(geometry[key]), self.lang)
        self.bounds_message.text = ""

    def apply_bounds(self) -> None:
        """Select the box typed in the four bounds (nothing changes while one is not a number)."""
        values, errors = {}, []
        for key, widget in self.bounds.items():
            values[key] = parse_bound(widget.value, self.lang)
            if values[key] is None:
                errors.append(t("brush.bound_error", self.lang, bound=self._bound_name(key),
                                value=(widget.value or "").strip()))
        if errors:
            self.bounds_message.text = "".join(
                f"<p role='alert' style='color:{pc.REFUSED};font-weight:bold'>⚠ {pc.esc(e)}</p>"
                for e in errors)
            return
        self.bounds_message.text = ""
        self.select_box(values["x0"], values["x1"], values["y0"], values["y1"])

    def _bound_name(self, key: str) -> str:
        """ "Borne basse de <feature>" / "Upper bound of <feature>", for messages."""
        meta = self.features[self.x_name if key.startswith("x") else self.y_name]
        return t("brush.bound_low" if key.endswith("0") else "brush.bound_high", self.lang,
                 feature=pc.feature_label(meta, self.lang))

    @property
    def points_sent(self) -> int:
        """Background points in the browser (the client's star comes on top)."""
        return int(self.sample_ids.size)

    def _colour_high(self) -> float:
        return max(self.info.probability_p99, self.info.threshold * 1.5, 1e-6)

    def _describe(self) -> None:
        """The scatter's sentence and its table view (quintiles of the horizontal feature)."""
        lang, sample = self.lang, self.sample
        fx = pc.feature_label(self.features[self.x_name], lang)
        fy = pc.feature_label(self.features[self.y_name], lang)
        me = sample.client
        xv = pc.format_feature_value(self.x_name, me.x if me else None, lang)
        yv = pc.format_feature_value(self.y_name, me.y if me else None, lang)
        proba = fmt_percent(me.probability, lang) if me is not None else t("missing", lang)
        sentence = t("scatter.summary", lang, shown=fmt_number(self.points_sent, lang),
                     total=fmt_number(sample.n_clients, lang), x=fx, y=fy,
                     xv=f"{fx} {xv}", yv=f"{fy} {yv}", proba=proba)
        self.summary.text = f"<p class='chart-summary'>{pc.esc(sentence)}</p>"
        self.figure.html_attributes = {
            "role": "figure", "aria-label": t("scatter.chart_name", lang, x=fx, y=fy) + ". " + sentence}
        self._hover_texts(fx, fy)
        self.figure.xaxis[0].axis_label = fx
        self.figure.yaxis[0].axis_label = fy
        for key, f in (("x0", fx), ("x1", fx), ("y0", fy), ("y1", fy)):
            self.bounds[key].title = t("brush.from" if key.endswith("0") else "brush.to", lang,
                                       feature=f)
        q = self.table_data = _quintile_table(sample, lang)
        headers = [fx, t("table.count", lang),
                   t("scatter.mean", lang, feature=fy), t("brush.proba", lang)]
        rows = zip(q["label"], q["count"], q["mean_y"], q["proba"])
        self.table.text = pc.details(t("table.show", lang), pc.html_table(
            t("scatter.table_caption", lang, x=fx), headers, rows))

    def _update_brush(self) -> None:
        data = brush_data(self.selection, self.lang)
        self.hist_all_source.data = data.hist_all
        self.hist_sel_source.data = data.hist_sel
        self.hist_renderers[1].visible = self.has_selection
        self.hist_legend[1].visible = self.has_selection
        tops = data.hist_all["top"] + data.hist_sel["top"]
        self.hist.y_range.end = max(tops + [1.0]) * 1.1
        self.brush_summary.text = (f"<p class='chart-summary' role='status' aria-live='polite'>"
                                   f"{pc.esc(data.sentence)}</p>")
        self.hist.html_attributes = {"role": "figure", "aria-label": t("brush.chart_name", self.lang)
                                     + ". " + data.sentence}
        headers = [t("brush.metric", self.lang), t("brush.selection", self.lang),
                   t("brush.all", self.lang)]
        rows = zip(data.table["metric"], data.table["selection"], data.table["population"])
        self.brush_table.text = pc.html_table(t("brush.title", self.lang), headers, rows)
        self.brush = data

    def _apply_texts(self) -> None:
        lang = self.lang
        self.title.text = pc.heading(2, t("scatter.title", lang), self.scale)
        self.brush_title.text = pc.heading(3, t("brush.title", lang), self.scale)
        self.help.text = f"<p>{pc.esc(t('scatter.help', lang))}</p>"
        self.x_select.title = t("scatter.x", lang)
        self.y_select.title = t("scatter.y", lang)
        self.color_bar.title = t("scatter.risk", lang)
        self.legend_item.label = {"value": t("scatter.client", lang)}
        self.star_label.text = t("scatter.client", lang)
        self.clear_button.label = t("brush.clear", lang)
        self.keyboard_help.text = f"<p>{pc.esc(t('brush.keyboard', lang))}</p>"
        self.apply_button.label = t("brush.apply", lang)
        self._hover_texts(pc.feature_label(self.features[self.x_name], lang),
                          pc.feature_label(self.features[self.y_name], lang))
        pc.describe_tools(self.figure, lang)
        pc.describe_tools(self.hist, lang)
        pc.set_tick_formatters([*self.figure.xaxis, *self.figure.yaxis, *self.hist.yaxis], lang)
        self.hist.xaxis[0].axis_label = t("brush.hist_x", lang)
        self.hist.yaxis[0].axis_label = t("brush.hist_y", lang)
        self.hist_legend[0].label = {"value": t("brush.all", lang)}
        self.hist_legend[1].label = {"value": t("brush.selection", lang)}
        self.threshold_label.text = t("brush.threshold", lang,
                                      value=fmt_percent(self.info.threshold, lang))
        self.hist_hover.tooltips = [(t("brush.bin", lang), "@label"),
                                    (t("table.count", lang), "@count{count}"),
                                    (t("brush.hist_y", lang), "@top{share}")]
        self.hist_hover.formatters = {"@count": local_number(lang, 0), "@top": local_number(lang, 1)}

    def _hover_texts(self, fx: str, fy: str) -> None:
        """Tooltips named by the features, numbers in the page's language (toLocaleString)."""
        lang = self.lang
        self.hover.tooltips = [(fx, "@x{x}"), (fy, "@y{y}"), (t("scatter.risk", lang), "@proba{p}")]
        self.hover.formatters = {"@x": local_number(lang, 2), "@y": local_number(lang, 2),
                                 "@proba": local_number(lang, 1, percent=True)}


def _retype(text: str, old: str, lang: str) -> str:
    """A bound in the new language's format (a text that is no number is left as typed)."""
    value = parse_bound(text, old)
    return text if value is None else bound_text(value, lang)


def _quintile_table(sample: ScatterSample, lang: str) -> dict[str, list]:
    """The service's quintiles of x (whole population) in words: range, count, mean y, mean risk."""
    x, y = sample.x, sample.y
    out: dict[str, list] = {"label": [], "count": [], "mean_y": [], "proba": []}
    for q in sample.quintiles:
        out["label"].append(f"{pc.format_feature_value(x, q.lo, lang)} – "
                            f"{pc.format_feature_value(x, q.hi, lang)}")
        out["count"].append(fmt_number(q.count, lang))
        out["mean_y"].append(pc.format_feature_value(y, q.mean_y, lang) if q.mean_y is not None
                             else t("missing", lang))
        out["proba"].append(fmt_percent(q.mean_probability, lang) if q.mean_probability is not None
                            else t("missing", lang))
    return out

