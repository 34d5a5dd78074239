"""One session's Bokeh models and the thin callbacks that update them.

`build_document(doc, client)` creates every widget, figure and data source of
one session (nothing is shared with another session except the read-only
client and id index). Callbacks only parse the widget value and call
`Dashboard.open_client` / `set_lang` / ...; those fetch from the
`ScoringClient`, ask `views` for column data and texts, and assign them in
`update`, like the `movies` example.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from bokeh.document import Document
from bokeh.layouts import column, row
from bokeh.models import (
    AnnularWedge,
    AutocompleteInput,
    Button,
    ColumnDataSource,
    CustomJS,
    Div,
    FactorRange,
    HBar,
    Range1d,
    Scatter,
    Segment,
    Select,
    Span,
    Text,
)

from bokeh_app import gauge, palette, views, views_reasons
from bokeh_app.i18n import DEFAULT_LANG, LANG_NAMES, check_lang, t
from bokeh_app.panel_base import (
    APP_DIR,
    BAR_EXTRA_PX,
    BAR_ROW_PX,
    FONT_PX,
    TEXT_SCALES,
    plain_figure,
    rem,
    tick_formatter,
    widget_css,
)
from bokeh_app.panel_model import model_panel
from bokeh_app.sections import PanelFactory, Section
from bokeh_app.store import ClientIndex
from scoring.service.protocol import Explanation, ScoringClient, UnknownClient

log = logging.getLogger("scoring.dashboard")

THEME_PATH = APP_DIR / "theme.yaml"
#: Feature contributions fetched with an explanation: the first screen reads concepts, not features.
FEATURES_FETCHED = 1
#: Rows of the concept chart before the first client (one per concept and the header row).
EMPTY_CHART_ROWS = 14
GAUGE_SIZE = (540, 344)  # width, height: same aspect as the gauge's data ranges
GAUGE_MAX_WIDTH = 430
#: Roots placed by templates/index.html, in page order (sections follow, named section_<key>).
ROOT_NAMES = ("controls", "score", "contributions", "profile")
#: The section that is always offered (the others come with the population data).
MODEL_SECTION = ("model", model_panel)


class Dashboard:
    """Every Bokeh model of one session plus the current view state."""

    def __init__(self, doc: Document, client: ScoringClient, index: ClientIndex,
                 lang: str = DEFAULT_LANG, text_scale: int = 100,
                 sections: Sequence[tuple[str, PanelFactory]] = ()):
        self.doc = doc
        self.client = client
        self.index = index
        self.lang = check_lang(lang)
        self.text_scale = text_scale if text_scale in TEXT_SCALES else 100
        self.client_id: int | None = None
        self.explanation: Explanation | None = None
        self.profile: dict[str, Any] | None = None
        self.message_key = "msg_ready"
        self.message_args: dict[str, Any] = {}
        self.sections = [Section(key, factory, [widget_css()]) for key, factory in sections]
        try:
            self.threshold: float | None = float(client.health().get("threshold"))
        except Exception:  # noqa: BLE001 - the gauge can wait for the first score
            self.threshold = None
        self._build()

    # -- construction ---------------------------------------------------------------------
    def _build(self) -> None:
        css = [widget_css()]
        lang = self.lang
        self.header = Div(sizing_mode="stretch_width", stylesheets=css)
        self.client_input = AutocompleteInput(
            completions=[], min_characters=3, max_completions=10, restrict=False,
            case_sensitive=False, search_strategy="starts_with", stylesheets=css,
            sizing_mode="stretch_width", min_width=220)
        self.open_button = Button(button_type="primary", stylesheets=css, align="end")
        fluid = {"sizing_mode": "stretch_width", "min_width": 140, "stylesheets": css}
        self.lang_select = Select(options=list(LANG_NAMES.items()), value=lang, title=t("lang_title", lang),
                                  **fluid)
        self.size_select = Select(options=[(str(s), f"{s} %") for s in TEXT_SCALES],
                                  value=str(self.text_scale), **fluid)
        self.message = Div(sizing_mode="stretch_width", stylesheets=css,
                           html_attributes={"role": "status", "aria-live": "polite"})

        # Score panel: gauge + decision in words.
        self.score_heading = Div(sizing_mode="stretch_width", stylesheets=css)
        self._build_gauge(css)
        self.decision = Div(sizing_mode="stretch_width", stylesheets=css)
        self.gauge_note = Div(sizing_mode="stretch_width", stylesheets=css)
        self.gauge_alt = Div(sizing_mode="stretch_width", stylesheets=css)

        # Profile panel.
        self.profile_heading = Div(sizing_mode="stretch_width", stylesheets=css)
        self.profile_div = Div(sizing_mode="stretch_width", stylesheets=css)

        # Why panel: the principal reasons in words, every concept in points, each openable.
        self.why_heading = Div(sizing_mode="stretch_width", stylesheets=css)
        self.reasons_div = Div(sizing_mode="stretch_width", stylesheets=css)
        self._build_reasons(css)
        self._axis_lang: str | None = None
        self.contrib_note = Div(sizing_mode="stretch_width", stylesheets=css)
        self.contrib_alt = Div(sizing_mode="stretch_width", stylesheets=css)
        self.concept_details = Div(sizing_mode="stretch_width", stylesheets=css)


        controls = column(
            self.header,
            row(self.client_input, self.open_button, self.lang_select, self.size_select,
                sizing_mode="stretch_width", styles={"flex-wrap": "wrap", "gap": "0.5rem"}),
            self.message,
            name="controls", sizing_mode="stretch_width")
        box = {"sizing_mode": "stretch_width", "css_classes": ["panel-box"]}
        score = column(self.score_heading, self.gauge_fig, self.decision, self.gauge_alt, self.gauge_note,
                       name="score", **box)
        profile = column(self.profile_heading, self.profile_div, name="profile", **box)
        contributions = column(self.why_heading, self.reasons_div, self.contrib_note, self.contrib_fig,
                               self.contrib_alt, self.concept_details, name="contributions", **box)
        self.roots = dict(zip(ROOT_NAMES, (controls, score, contributions, profile)))
        for section in self.sections:
            self.roots[section.layout.name] = section.layout
            section.button.on_event("button_click", lambda _e, s=section: self.toggle_section(s.key))

        # Thin callbacks: parse the widget, call one method.
        self._restoring = False  # True while _reject puts the shown client's number back
        self.client_input.on_change(
            "value", lambda _a, _o, new: None if self._restoring else self.open_client(new))
        self.client_input.on_change("value_input", lambda _a, _o, new: self.suggest(new))
        self.open_button.on_event("button_click",
                                  lambda _e: self.open_client(self.client_input.value_input
                                                              or self.client_input.value))
        self.lang_select.on_change("value", lambda _a, _o, new: self.set_lang(new))
        self.size_select.on_change("value", lambda _a, _o, new: self.set_text_scale(int(new)))
        # Browser-side: the html lang attribute and the root text size follow the selectors.
        self.lang_select.js_on_change("value", CustomJS(code="document.documentElement.lang = cb_obj.value;"))
        self.size_select.js_on_change("value", CustomJS(code=(
            "document.documentElement.style.setProperty('--text-scale', String(Number(cb_obj.value) / 100));")))

        self.apply_text_scale()
        self.render()

    def _build_gauge(self, css: list[str]) -> None:
        """The half-donut gauge: seven bands, edge ticks, the threshold mark and the needle."""
        self.band_source = ColumnDataSource(data={k: [] for k in (
            "start", "end", "colour", "label", "label_x", "label_y", "label_angle", "level")})
        self.tick_source = ColumnDataSource(data={"x": [], "y": [], "text": [], "align": []})
        self.mark_source = ColumnDataSource(data={"x0": [], "y0": [], "x1": [], "y1": []})
        self.mark_label_source = ColumnDataSource(data={"x": [], "y": [], "text": []})
        self.needle_source = ColumnDataSource(data={"x0": [], "y0": [], "x1": [], "y1": []})
        self.centre_source = ColumnDataSource(data={"x": [], "y": [], "text": []})
        w, h = GAUGE_SIZE
        g = plain_figure(x_range=Range1d(*gauge.X_RANGE), y_range=Range1d(*gauge.Y_RANGE), width=w, height=h,
                         stylesheets=css, sizing_mode="scale_width", max_width=GAUGE_MAX_WIDTH, min_border=0)
        g.axis.visible = False
        g.grid.visible = False
        g.outline_line_color = None
        g.add_glyph(self.band_source, AnnularWedge(
            x=0, y=0, inner_radius=gauge.INNER_RADIUS, outer_radius=gauge.OUTER_RADIUS, start_angle="start",
            end_angle="end", fill_color="colour", line_color=palette.BACKGROUND, line_width=2))
        self.gauge_labels = g.add_glyph(self.band_source, Text(
            x="label_x", y="label_y", text="label", angle="label_angle", text_align="center",
            text_baseline="middle", text_color=palette.TEXT_ON_COLOUR, text_font_style="bold"))
        self.gauge_ticks = g.add_glyph(self.tick_source, Text(
            x="x", y="y", text="text", text_align="align", text_baseline="middle", text_color=palette.MUTED_TEXT))
        g.add_glyph(self.mark_source, Segment(x0="x0", y0="y0", x1="x1", y1="y1", line_width=6,
                                              line_color=palette.THRESHOLD_MARK))
        self.gauge_mark_label = g.add_glyph(self.mark_label_source, Text(
            x="x", y="y", text="text", text_align="left", text_baseline="bottom", text_color=palette.TEXT,
            text_font_style="bold"))
        # A light halo under the needle keeps it distinct where it lies on the threshold mark.
        for width, colour in ((10, palette.BACKGROUND), (5, palette.NEEDLE)):
            g.add_glyph(self.needle_source, Segment(x0="x0", y0="y0", x1="x1", y1="y1", line_width=width,
                                                    line_color=colour, line_cap="round"))
        g.add_glyph(ColumnDataSource(data={"x": [0.0], "y": [0.0]}), Scatter(
            x="x", y="y", size=16, fill_color=palette.NEEDLE, line_color=palette.NEEDLE))
        self.gauge_centre = g.add_glyph(self.centre_source, Text(
            x="x", y="y", text="text", text_align="center", text_baseline="middle", text_color=palette.TEXT,
            text_font_style="bold"))
        self.gauge_fig = g

    def _build_reasons(self, css: list[str]) -> None:
        """Every concept's points: one bar each, signed (hatched when it lowers the score), under a
        header row naming both sides."""
        self.contrib_source = ColumnDataSource(data={k: [] for k in (
            "factor", "points", "left", "right", "colour", "hatch", "value_text", "text_x", "text_align",
            "direction")})
        c = plain_figure(y_range=FactorRange(factors=[]), x_range=Range1d(-1, 1), stylesheets=css,
                         height=self._bar_height(EMPTY_CHART_ROWS), sizing_mode="stretch_width", min_width=320)
        c.add_glyph(self.contrib_source, HBar(
            y="factor", left="left", right="right", height=0.7, fill_color="colour", line_color="colour",
            hatch_pattern="hatch", hatch_color=palette.HATCH_COLOUR, hatch_alpha=0.9, hatch_scale=9,
            hatch_weight=1.5))
        self.contrib_text = c.add_glyph(self.contrib_source, Text(
            x="text_x", y="factor", text="value_text", text_align="text_align", text_baseline="middle",
            text_color=palette.TEXT))
        # The top row names the two sides, right at zero: "← lowers the score | raises it →".
        self.contrib_header_source = ColumnDataSource(data={"x": [], "y": [], "text": [], "align": []})
        self.contrib_header = c.add_glyph(self.contrib_header_source, Text(
            x="x", y="y", text="text", text_align="align", text_baseline="middle", text_color=palette.TEXT,
            text_font_style="bold"))
        c.add_layout(Span(location=0, dimension="height", line_color=palette.TEXT, line_width=2))
        c.ygrid.visible = False
        c.xgrid.grid_line_color = palette.GRID
        c.xgrid.grid_line_alpha = 0.4
        c.outline_line_color = None
        self.contrib_fig = c

    # -- actions (called by the thin callbacks) ------------------------------------------
    def suggest(self, typed: str) -> None:
        """Completions for what is being typed (digits only).

        Sent from the 2nd character on: the browser shows them from the 3rd
        (min_characters) and filters them itself while the next round trip runs.
        """
        typed = (typed or "").strip()
        self.client_input.completions = self.index.suggestions(typed) if len(typed) >= 2 else []

    def open_client(self, text: str | int | None) -> bool:
        """Show the client numbered `text`; on any problem keep the current view and say why.

        Spaces inside the number are allowed ("100 003", as it is often written or pasted).
        """
        typed = str(text if text is not None else "").strip()
        raw = "".join(typed.split())
        if not raw:
            return self._reject("msg_empty")
        if not raw.isdigit():
            return self._reject("msg_not_a_number", text=typed[:40])
        client_id = int(raw)
        if client_id == self.client_id and self.explanation is not None:
            return self._say("msg_opened", client_id=client_id)  # already shown (e.g. Enter then click)
        if client_id not in self.index:
            return self._reject("msg_unknown", client_id=client_id)
        try:
            explanation, profile = self._fetch(client_id)
        except UnknownClient:
            return self._reject("msg_unknown", client_id=client_id)
        except Exception as exc:  # noqa: BLE001 - service down: keep the view, say so
            log.exception("scoring failed for client %s", client_id)
            return self._reject("msg_service_error", error=type(exc).__name__)
        self.client_id, self.explanation, self.profile = client_id, explanation, profile
        self.threshold = explanation.score.threshold
        self.message_key, self.message_args = "msg_opened", {"client_id": client_id}
        self._forward("set_client", client_id)
        if self.client_input.value != raw:
            self.client_input.value = raw  # the re-entrant call finds the client already shown
        self.render()
        return True

    def set_lang(self, lang: str) -> None:
        """Switch every text (labels come from the service in that language, so refetch)."""
        self.lang = check_lang(lang)
        if self.client_id is not None:
            try:
                self.explanation, self.profile = self._fetch(self.client_id)
            except Exception:  # noqa: BLE001
                log.exception("refetch in %s failed", self.lang)
        self._forward("set_language", self.lang)
        self.render()

    def set_text_scale(self, percent: int) -> None:
        self.text_scale = percent if percent in TEXT_SCALES else 100
        self.apply_text_scale()
        self._forward("set_text_scale", self.text_scale / 100)
        self.render()  # x ranges leave more room for the larger bar labels

    # -- internals ------------------------------------------------------------------------
    def _fetch(self, client_id: int) -> tuple[Explanation, dict[str, Any]]:
        return (self.client.explanation(client_id, top=FEATURES_FETCHED, lang=self.lang),
                self.client.profile(client_id, lang=self.lang))

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def toggle_section(self, key: str) -> None:
        """Open (building it on first use) or close one section below the first screen."""
        section = self.section(key)
        if section.is_open:
            section.close(self.lang)
            return
        try:
            section.open(self.client, self.lang, self.text_scale / 100, self.client_id)
        except Exception as exc:  # noqa: BLE001 - one section failing never breaks the page
            log.exception("section %s could not be built", key)
            self._say("msg_service_error", error=type(exc).__name__)

    def _forward(self, method: str, value: Any) -> None:
        """Pass a change to every section whose panel was built (the others get it when opened)."""
        for section in self.sections:
            section.forward(method, value)

    def _reject(self, key: str, **args: Any) -> bool:
        """Say why a search was refused, and put the shown client's number back in the box, so
        the page never shows one client under a search box naming another."""
        shown = str(self.client_id) if self.client_id is not None else ""
        if self.client_input.value != shown:
            self._restoring = True
            try:
                self.client_input.value = shown
            finally:
                self._restoring = False
        return self._say(key, **args)

    def _say(self, key: str, **args: Any) -> bool:
        self.message_key, self.message_args = key, args
        self._render_message()
        return False

    def _bar_height(self, rows: int) -> int:
        scale = self.text_scale / 100
        return int(BAR_EXTRA_PX * scale + max(rows, 1) * BAR_ROW_PX * scale)

    def apply_text_scale(self) -> None:
        """Plot text follows the text-size control (widget text follows the CSS variable)."""
        s = self.text_scale / 100
        self.doc.template_variables["text_scale"] = f"{s:g}"
        for fig in (self.contrib_fig,):
            fig.title.text_font_size = rem(FONT_PX["title"], s)
            fig.axis.axis_label_text_font_size = rem(FONT_PX["axis_label"], s)
            fig.axis.major_label_text_font_size = rem(FONT_PX["tick"], s)
        for glyph in (self.contrib_text.glyph, self.contrib_header.glyph):
            glyph.text_font_size = rem(FONT_PX["bar_text"], s)
        # The gauge grows with the text so that its labels, at any size, stay inside their bands.
        self.gauge_fig.max_width = round(GAUGE_MAX_WIDTH * s)
        self.gauge_labels.glyph.text_font_size = rem(FONT_PX["gauge_label"], s)
        self.gauge_ticks.glyph.text_font_size = rem(FONT_PX["gauge_tick"], s)
        self.gauge_mark_label.glyph.text_font_size = rem(FONT_PX["gauge_tick"], s)
        self.gauge_centre.glyph.text_font_size = rem(FONT_PX["gauge_centre"], s)
        self._resize_bars()

    def _resize_bars(self) -> None:
        self.contrib_fig.height = self._bar_height(len(self.contrib_fig.y_range.factors) or EMPTY_CHART_ROWS)

    def _render_message(self) -> None:
        text = t(self.message_key, self.lang, **self.message_args)
        css = "message-error" if self.message_key.startswith("msg_") and self.message_key not in (
            "msg_ready", "msg_opened") else "message-info"
        self.message.text = f'<p class="{css}">{views.esc(text)}</p>'

    def render(self) -> None:
        """Assign every text and data source from the current state (the one update function)."""
        lang = self.lang
        self.doc.title = (t("page_title_client", lang, client_id=self.client_id)
                          if self.client_id is not None else t("page_title", lang))
        self.doc.template_variables["lang"] = lang
        self.header.text = (f'<a class="skip-link" href="#decision">{views.esc(t("skip_to_decision", lang))}</a>'
                            f'<h1>{views.esc(t("heading", lang))}</h1>'
                            f'<p class="intro">{views.esc(t("intro", lang))}</p>')
        self.client_input.title = t("client_input_title", lang)
        self.client_input.placeholder = t("client_input_placeholder", lang)
        self.open_button.label = t("open_button", lang)
        self.size_select.title = t("text_size_title", lang)
        if self.lang_select.value != lang:
            self.lang_select.value = lang
        self._render_message()
        self.score_heading.text = f'<h2>{views.esc(t("score_heading", lang))}</h2>'
        self.profile_heading.text = f'<h2>{views.esc(t("profile_heading", lang))}</h2>'
        self.why_heading.text = f'<h2>{views.esc(t("why_heading", lang))}</h2>'
        how = t("how_to_read", lang)
        self.gauge_note.text = views.details(how, f'<p class="note">{views.esc(t("gauge_scale_note", lang))}</p>')
        self.contrib_note.text = (f'<h3>{views.esc(t("contrib_title", lang))}</h3>'
                                  + views.details(how, f'<p class="note">{views.esc(t("contrib_note", lang))}</p>'))
        for section in self.sections:
            section.button.label = section.label(lang)
        # Until a client is open, only the search is shown: no half-empty panels.
        for name in ("score", "contributions", "profile"):
            self.roots[name].visible = self.client_id is not None
        for section in self.sections:
            section.layout.visible = self.client_id is not None
        self._render_score()
        self._render_profile()
        self._render_why()
        self._resize_bars()

    def _render_score(self) -> None:
        lang, threshold = self.lang, self.threshold
        if threshold is not None:
            static = views.gauge_static(threshold, lang)
            self.band_source.data = static["bands"]
            self.tick_source.data = static["ticks"]
            self.mark_source.data = static["threshold"]
            self.mark_label_source.data = static["threshold_label"]
        view = (views.score_view(self.explanation.score, lang) if self.explanation is not None
                else views.empty_score_view(threshold, lang))
        self.needle_source.data = view["needle"]
        self.centre_source.data = view["centre"]
        self.decision.text = view["decision_html"]
        self.gauge_alt.text = views.summary_html(view["summary"], lang) + views.details(
            t("show_data", lang), view["table_html"])
        self.gauge_fig.html_attributes = {"role": "img", "aria-label": view["summary"]}

    def _render_profile(self) -> None:
        if self.profile is None or self.client_id is None:
            self.profile_div.text = f'<p class="muted">{views.esc(t("no_client", self.lang))}</p>'
            return
        self.profile_div.text = views.profile_view(self.profile, self.client_id, self.lang)

    def _render_why(self) -> None:
        lang = self.lang
        self.contrib_fig.xaxis.axis_label = t("contrib_axis", lang)
        if self._axis_lang != lang:  # a new formatter model only when the language changes
            self.contrib_fig.xaxis.formatter = tick_formatter(lang)
            self._axis_lang = lang
        if self.explanation is None:
            empty = t("no_client", lang)
            self.reasons_div.text = ""
            self.concept_details.text = ""
            self.contrib_source.data = {k: [] for k in self.contrib_source.data}
            self.contrib_header_source.data = {k: [] for k in self.contrib_header_source.data}
            self.contrib_fig.y_range.factors = []
            self.contrib_alt.text = f'<p class="muted">{views.esc(empty)}</p>'
            self.contrib_fig.html_attributes = {"role": "img", "aria-label": empty}
            return
        self.reasons_div.text = views_reasons.reasons_html(self.explanation, lang)
        self.concept_details.text = views_reasons.concept_details_html(self.explanation, lang)
        cv = views_reasons.concepts_view(self.explanation, lang)
        self.contrib_source.data = cv["data"]
        self.contrib_header_source.data = cv["header"]
        self.contrib_fig.y_range.factors = cv["factors"] + [views_reasons.HEADER_FACTOR]
        grow = self.text_scale / 100 - 1  # larger text needs more room beside the bars
        room = 1 + 0.35 * grow
        self.contrib_fig.x_range.update(start=cv["x_range"][0] * room, end=cv["x_range"][1] * room)
        self.contrib_alt.text = views.summary_html(cv["summary"], lang) + views.details(
            t("show_data", lang), cv["table_html"])
        self.contrib_fig.html_attributes = {"role": "img", "aria-label": cv["summary"]}
