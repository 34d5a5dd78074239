"""What-if: edit the client's application in a form, re-score, compare "Avant" and "Après".

The form lists the editable fields the scoring service offers
(`ScoringClient.what_if_form`, from `scoring.service.overrides`, which never
offers protected ones: family situation, children are never a change to suggest),
prefilled with the client's values in display units; under each field a
hint says what it takes. A field is checked by the service as it changes
(`ScoringClient.check_overrides`: number, whole number, range, required,
list value) and its message, naming the field and the value, sits next to
it (field spec, labels with units and the accessible error: `panels_whatif_fields`);
"Recalculer" (or Enter in a field, when the form differs from what was last
computed; never a keystroke) re-scores, and only flags the fields while one
is invalid. Only
the fields that differ from the original are sent to `client.what_if` (in
the raw units the service returned with the check), which re-scores a
private copy: edits live in this session and never reach the shared data,
the SHAP cache or another session.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from bokeh.events import ValueSubmit
from bokeh.layouts import column, row
from bokeh.models import (
    Button,
    ColumnDataSource,
    Div,
    FactorRange,
    Label,
    Select,
    Span,
    TextInput,
)
from bokeh.plotting import figure

from bokeh_app import panels_common as pc
from bokeh_app.i18n import check_lang, fmt_percent, fmt_score, t
from bokeh_app.panel_recourse import RecourseView
from bokeh_app.panels_whatif_fields import (  # noqa: F401 - re-exported for the panel's users
    EMPTY,
    ERROR_CSS,
    FieldSpec,
    describe_callback,
    error_text,
    field_hint,
    field_specs,
    new_error_sheet,
    text_of,
)
from scoring.service.protocol import (
    Explanation,
    InvalidOverride,
    OverrideCheck,
)

#: Fields per row of the form.
FIELDS_PER_ROW = 3
ICON_GRANTED, ICON_REFUSED = "✓", "✗"


def contribution_rows(before: Explanation, after: Explanation, lang: str) -> dict[str, list]:
    """Top factors of both explanations, paired: impact before, after, and the change, in score
    points (> 0 raises the score, toward acceptance)."""
    b = {c.feature: c for c in before.contributions}
    a = {c.feature: c for c in after.contributions}
    names = list(dict.fromkeys([*b, *a]))
    names.sort(key=lambda n: -max(abs(b[n].shap) if n in b else 0, abs(a[n].shap) if n in a else 0))
    out: dict[str, list] = {"factor": [], "before": [], "after": [], "change": []}
    for n in names:
        sb = b[n].points if n in b else None
        sa = a[n].points if n in a else None
        out["factor"].append(_label(n, (b.get(n) or a[n]).label, lang))
        out["before"].append(_signed(sb, lang))
        out["after"].append(_signed(sa, lang))
        out["change"].append(_signed(None if sb is None or sa is None else sa - sb, lang))
    return out


def _label(name: str, fallback: str, lang: str) -> str:
    """The catalogue's label in `lang` (so a language switch needs no new call to the client)."""
    try:
        from scoring.text.catalogue import CATALOGUE, label
    except ImportError:
        return fallback
    return label(name, lang) if name in CATALOGUE else fallback


def _signed(x: float | None, lang: str) -> str:
    if x is None:
        return "—"
    return fmt_score(x, lang, signed=True)  # never "−0 point"


class WhatIfPanel:
    """The what-if form and its before/after comparison, for one session."""

    def __init__(self, client: Any, lang: str = "fr"):
        self.client = client
        self.lang = check_lang(lang)
        self.scale = 1.0
        self.client_id: int | None = None
        form = client.what_if_form()  # the fields and their limits; a client's values come later
        self.threshold = form.threshold
        self.specs = field_specs(form)
        self._specs = {spec.name: spec for spec in self.specs}
        self.original: dict[str, Any] = {}
        self.errors: dict[str, str] = {}
        self.result: Any = None  # the last WhatIf shown
        self.css = pc.new_stylesheet()
        self.sheets = [pc.house_stylesheet(), self.css]
        self.title = Div(stylesheets=self.sheets)
        self.help = Div(stylesheets=self.sheets)
        self.inputs: dict[str, Any] = {}
        self.messages: dict[str, Div] = {}
        self.error_sheets: dict[str, Any] = {}  # per field: the error border, toggled here
        self.computed: dict[str, str] | None = None  # edited texts of the last recompute
        self._status_text: Callable[[], tuple[str, bool]] | None = None  # re-read on a switch
        rows = self._build_fields()
        self.recompute_button = Button(button_type="primary", stylesheets=self.sheets)
        self.reset_button = Button(stylesheets=self.sheets)
        self.recompute_button.on_click(self.recompute)
        self.reset_button.on_click(self.reset)
        self.status = Div(stylesheets=self.sheets)
        self.before_div = Div(stylesheets=self.sheets, sizing_mode="stretch_width")
        self.after_div = Div(stylesheets=self.sheets, sizing_mode="stretch_width")
        self.bar_source = ColumnDataSource({"y": [], "proba": [], "colour": [], "hatch": [],
                                            "text": []})
        fig = figure(height=170, sizing_mode="stretch_width", x_range=(0, 100),
                     y_range=FactorRange(factors=["", " "]), tools="",
                     toolbar_location=None)  # nothing focusable inside the role=img chart
        pc.style_figure(fig)
        fig.hbar(y="y", right="proba", height=0.6, source=self.bar_source, fill_color="colour",
                 line_color=pc.TEXT, hatch_pattern="hatch", hatch_color="white", hatch_alpha=0.8)
        fig.text(x="proba", y="y", text="text", source=self.bar_source, x_offset=6,
                 text_baseline="middle", text_color=pc.TEXT)
        self.threshold_span = Span(location=100 * self.threshold, dimension="height",
                                   line_color=pc.CLIENT, line_width=2, line_dash="dashed")
        self.threshold_label = Label(x=100 * self.threshold, y=2, y_units="screen",
                                     x_offset=4, text="", text_color=pc.CLIENT,
                                     background_fill_color="white", background_fill_alpha=0.9)
        fig.add_layout(self.threshold_span)
        fig.add_layout(self.threshold_label)
        self.bars = fig
        self.contrib_data: dict[str, list] = {}
        self.contrib_table = Div(stylesheets=self.sheets, sizing_mode="stretch_width")
        self.recourse = RecourseView(client, self.lang, self.sheets, self.apply_changes)
        self.layout = column(
            self.title, self.help, self.recourse.layout, *rows,
            row(self.recompute_button, self.reset_button), self.status, self.recourse.warnings,
            row(self.before_div, self.after_div, sizing_mode="stretch_width"),
            self.bars, self.contrib_table, sizing_mode="stretch_width",
        )
        self._apply_texts()

    def _build_fields(self) -> list[Any]:
        """One input per field (label with unit, message under it), FIELDS_PER_ROW per row."""
        cells = []
        for spec in self.specs:
            sheet = self.error_sheets[spec.name] = new_error_sheet()
            if spec.kind == "category":
                widget = Select(value=EMPTY, options=[], stylesheets=[*self.sheets, sheet])
            else:
                widget = TextInput(value=EMPTY, stylesheets=[*self.sheets, sheet])
                widget.on_event(ValueSubmit, self._make_on_submit(spec))
            widget.js_on_change("tags", describe_callback())
            widget.on_change("value", self._make_on_field(spec))
            self.inputs[spec.name] = widget
            self.messages[spec.name] = Div(text="", stylesheets=self.sheets)
            cells.append(column(widget, self.messages[spec.name], sizing_mode="stretch_width"))
        return [row(*cells[i:i + FIELDS_PER_ROW], sizing_mode="stretch_width")
                for i in range(0, len(cells), FIELDS_PER_ROW)]

    # -- public interface
    def set_client(self, client_id: int) -> None:
        """Load a client: the form shows its values and the "Avant" side its current score."""
        self.client_id = int(client_id)
        try:
            form = self.client.what_if_form(self.client_id)
            self.before = self.client.explanation(self.client_id, lang=self.lang)
        except Exception as exc:  # noqa: BLE001 - unknown client or service down: say so, keep going
            self.client_id, self.before, self.result = None, None, None
            self._say(lambda m=str(exc): t("whatif.error", self.lang, message=m), alert=True)
            self.before_div.text = self.after_div.text = ""
            self.bar_source.data = {k: [] for k in self.bar_source.data}
            self._show_contributions({"factor": [], "before": [], "after": [], "change": []})
            return
        defaults = {f.name: f.default for f in form.fields}
        self.original = {spec.name: defaults.get(spec.name) for spec in self.specs}
        self.reset()
        self.recourse.set_client(self.client_id)

    def set_language(self, lang: str) -> None:
        """Every text in the new language: labels, hints, messages, results and the status line."""
        self.lang = check_lang(lang)
        self.recourse.set_language(self.lang)
        if self.computed is not None:  # the typed numbers change decimal mark, not value
            self.computed = {k: _retype(v, self.lang) for k, v in self.computed.items()}
        self._apply_texts()
        self._revalidate_all()
        if self._status_text is not None:
            text, alert = self._status_text()
            self.status.text = self._status(text, alert)
        if self.client_id is not None:  # labels are re-read from the catalogue: no new call
            if self.result is not None:
                self._show_result(self.result)
            else:
                self._show_before_only()

    def set_text_scale(self, scale: float) -> None:
        self.scale = pc.clamp_scale(scale)
        self.css.css = pc.widget_css(self.scale)
        self.recourse.set_text_scale(self.scale)
        pc.scale_figure(self.bars, self.scale)
        pc.scale_texts([self.threshold_label], self.scale)
        self.bars.height = round(170 * self.scale)
        self._apply_texts()
        if self.client_id is not None:
            self._show_before_only() if self.result is None else self._show_result(self.result)

    # -- actions
    def reset(self) -> None:
        """Back to the client's original values and score; nothing edited remains."""
        for spec in self.specs:
            self.inputs[spec.name].value = text_of(self.original.get(spec.name), self.lang)
        self._show_errors({})
        self.result = None
        self.recourse.show_warnings([])
        self.computed = {}  # the form shows what "Avant" scored: Enter has nothing to compute
        self._say(lambda: t("whatif.pending", self.lang))
        self._show_before_only()

    def edited_texts(self) -> dict[str, str]:
        """What the advisor typed in the fields that no longer show the client's recorded value
        (a missing or unusual recorded value left as it is is not the advisor's input)."""
        return {spec.name: self.inputs[spec.name].value for spec in self.specs
                if (self.inputs[spec.name].value or "").strip() != text_of(self.original.get(spec.name), self.lang)}

    def check(self) -> OverrideCheck:
        """The service's check of the edited fields (display units): valid values in both units,
        a message per invalid field."""
        texts = self.edited_texts()
        if not texts:
            return OverrideCheck(raw={}, display={}, errors={})
        return self.client.check_overrides(texts, self.lang, "display")

    def overrides(self) -> dict[str, Any]:
        """The valid edited fields whose value differs from the client's (display units)."""
        return {k: v for k, v in self.check().display.items() if not _same(v, self.original.get(k))}

    def recompute(self) -> None:
        """Re-score with the edited fields, unless one is invalid (then nothing is scored)."""
        if self.client_id is None:
            return
        try:
            check = self.check()
        except Exception as exc:  # noqa: BLE001 - service down: the advisor sees why
            self._say(lambda m=str(exc): t("whatif.error", self.lang, message=m), alert=True)
            return
        errors = {k: v for k, v in check.errors.items() if k in self.inputs}
        self._show_errors(errors)
        if errors:
            self._say(lambda: t("whatif.invalid", self.lang), alert=True)
            return
        changed = {k: check.raw[k] for k, v in check.display.items() if not _same(v, self.original.get(k))}
        if not changed:
            self.result = None
            self.recourse.show_warnings([])
            self._show_before_only()
            self.computed = self.edited_texts()
            self._say(lambda: t("whatif.no_change", self.lang))
            return
        try:
            result = self.client.what_if(self.client_id, changed, lang=self.lang)
        except InvalidOverride as exc:
            self._show_errors({k: v for k, v in exc.errors.items() if k in self.inputs})
            problems = "; ".join(exc.errors.values())
            self._say(lambda: t("whatif.invalid", self.lang) + " " + problems, alert=True)
            return
        except Exception as exc:  # noqa: BLE001 - the advisor sees the reason, the page survives
            self._say(lambda m=str(exc): t("whatif.error", self.lang, message=m), alert=True)
            return
        self.result = result
        self.computed = self.edited_texts()
        self._show_result(result)

    def apply_changes(self, raw: dict[str, Any]) -> None:
        """Apply a recourse option: the client's values with `raw` (raw units) in the form, then
        recompute, so that "Avant" and "Après" show what the option does."""
        if self.client_id is None:
            return
        try:
            shown = self.client.check_overrides(raw, self.lang, "raw").display
        except Exception as exc:  # noqa: BLE001 - service down: the advisor sees why
            self._say(lambda m=str(exc): t("whatif.error", self.lang, message=m), alert=True)
            return
        self.reset()
        for name, value in shown.items():
            if name in self.inputs:
                self.inputs[name].value = text_of(value, self.lang)
        self.recompute()

    # -- internals
    def _make_on_field(self, spec: FieldSpec):
        def on_change(_attr: str, _old: Any, new: str) -> None:
            self._show_field_error(spec.name, self._field_errors({spec.name: new}).get(spec.name))
        return on_change

    def _make_on_submit(self, spec: FieldSpec):
        def on_submit(event: ValueSubmit) -> None:
            """Enter in a field: recompute, when the form differs from the last computation."""
            widget = self.inputs[spec.name]
            if event.value is not None and event.value != widget.value:
                widget.value = event.value  # Enter may reach us before the field's change
            if self.edited_texts() != self.computed:
                self.recompute()
        return on_submit

    def _field_errors(self, texts: dict[str, str]) -> dict[str, str]:
        """The service's messages for these fields (an untouched field is never an error)."""
        edited = {k: v for k, v in texts.items()
                  if (v or "").strip() != text_of(self.original.get(k), self.lang)}
        if not edited:
            return {}
        try:
            return self.client.check_overrides(edited, self.lang, "display").errors
        except Exception:  # noqa: BLE001 - no live check without the service; "Recalculer" says why
            return {}

    def _revalidate_all(self) -> None:
        """Messages again in the current language, for the fields that show one."""
        flagged = {name: self.inputs[name].value for name in self.errors}
        errors = self._field_errors(flagged)
        for name in self.inputs:
            self._show_field_error(name, errors.get(name) if name in flagged else None)

    def _show_errors(self, errors: dict[str, str]) -> None:
        for name in self.inputs:
            self._show_field_error(name, errors.get(name))

    def _show_field_error(self, name: str, error: str | None) -> None:
        """The field's message (an alert), or else its hint."""
        widget = self.inputs[name]
        if error:
            self.errors[name] = error
            text = error_text(error, self.lang)
            self.messages[name].text = (f"<span role='alert' style='color:{pc.REFUSED};"
                                        f"font-weight:bold'>⚠ {pc.esc(text)}</span>")
            self.error_sheets[name].css = ERROR_CSS
            state = ["invalid", text]
        else:
            self.errors.pop(name, None)
            text = field_hint(self._specs[name], self.lang)
            self.messages[name].text = f"<span style='color:{pc.NEUTRAL}'>{pc.esc(text)}</span>"
            self.error_sheets[name].css = ""
            state = ["", text]
        if list(widget.tags) != state:
            widget.tags = state  # the input's aria-describedby / aria-invalid (see describe_callback)

    def _decision(self, refused: bool) -> str:
        return (f"{ICON_REFUSED} {t('whatif.refused', self.lang)}" if refused
                else f"{ICON_GRANTED} {t('whatif.granted', self.lang)}")

    def _side_html(self, heading: str, expl: Explanation | None) -> str:
        lang = self.lang
        if expl is None:
            body = f"<p>{pc.esc(t('whatif.pending', lang))}</p>"
        else:
            s = expl.score
            body = (f"<p>{pc.esc(t('whatif.probability', lang))} : <b>{fmt_percent(s.probability, lang)}"
                    f"</b><br>{pc.esc(t('whatif.decision', lang))} : <b>{pc.esc(self._decision(s.refused))}"
                    f"</b><br>{pc.esc(t('whatif.threshold', lang))} : {fmt_percent(s.threshold, lang)}</p>")
            if lang == "en":
                body = body.replace(" : ", ": ")
        return pc.heading(3, heading, self.scale) + body

    def _bars_data(self, expls: list[tuple[str, Explanation]]) -> dict[str, list]:
        data: dict[str, list] = {"y": [], "proba": [], "colour": [], "hatch": [], "text": []}
        for heading, e in expls:
            s = e.score
            data["y"].append(heading)
            data["proba"].append(100.0 * s.probability)
            data["colour"].append(pc.REFUSED if s.refused else pc.GRANTED)
            data["hatch"].append("/" if s.refused else " ")
            data["text"].append(f"{fmt_percent(s.probability, self.lang)} {self._decision(s.refused)}")
        return data

    def _show_before_only(self) -> None:
        if self.client_id is None:
            return
        before = t("whatif.before", self.lang)
        self.before_div.text = self._side_html(before, self.before)
        self.after_div.text = self._side_html(t("whatif.after", self.lang), None)
        self.bars.y_range.factors = [before]
        self.bar_source.data = self._bars_data([(before, self.before)])
        self._label_bars([(before, self.before)])
        self._show_contributions(contribution_rows(self.before, self.before, self.lang))

    def _show_result(self, result: Any) -> None:
        lang = self.lang
        before_h, after_h = t("whatif.before", lang), t("whatif.after", lang)
        self.before_div.text = self._side_html(before_h, result.before)
        self.after_div.text = self._side_html(after_h, result.after)
        self.bars.y_range.factors = [after_h, before_h]
        self.bar_source.data = self._bars_data([(before_h, result.before),
                                                (after_h, result.after)])
        self._label_bars([(before_h, result.before), (after_h, result.after)])
        self._show_contributions(contribution_rows(result.before, result.after, lang))
        self.recourse.show_warnings(result.warnings)
        self._say(lambda: self._done_text(result))

    def _done_text(self, result: Any) -> str:
        """The result sentence in the current language."""
        lang, b, a = self.lang, result.before.score, result.after.score
        return t("whatif.done", lang, n=len(result.overrides), before=fmt_percent(b.probability, lang),
                 after=fmt_percent(a.probability, lang), decision_before=self._decision(b.refused),
                 decision_after=self._decision(a.refused))

    def _label_bars(self, items: list[tuple[str, Explanation]]) -> None:
        """The probability bars in words (the chart's text alternative)."""
        lang = self.lang
        words = " ".join(t("whatif.gauge_summary", lang, heading=h,
                           proba=fmt_percent(e.score.probability, lang),
                           threshold=fmt_percent(e.score.threshold, lang),
                           decision=self._decision(e.score.refused)) for h, e in items)
        self.bars.html_attributes = {"role": "img", "aria-label": words}

    def _show_contributions(self, rows: dict[str, list]) -> None:
        """How the top contributions moved, as a table (score points; + raises the score)."""
        lang = self.lang
        self.contrib_data = rows
        headers = [t(k, lang) for k in ("whatif.contrib", "whatif.contrib_before",
                                        "whatif.contrib_after", "whatif.contrib_change")]
        self.contrib_table.text = pc.html_table(
            t("whatif.contrib_caption", lang), headers,
            zip(rows["factor"], rows["before"], rows["after"], rows["change"]))

    def _say(self, message: Callable[[], str], alert: bool = False) -> None:
        """Show a status line; kept as a function so that a language switch re-reads it."""
        self._status_text = lambda: (message(), alert)
        self.status.text = self._status(message(), alert)

    def _status(self, text: str, alert: bool = False) -> str:
        role = "alert" if alert else "status"
        colour = pc.REFUSED if alert else pc.TEXT
        return f"<p role='{role}' aria-live='polite' style='color:{colour}'>{pc.esc(text)}</p>"

    def _apply_texts(self) -> None:
        lang = self.lang
        self.title.text = pc.heading(2, t("whatif.title", lang), self.scale)
        self.help.text = f"<p>{pc.esc(t('whatif.help', lang))}</p>"
        for spec in self.specs:
            widget = self.inputs[spec.name]
            widget.title = spec.title(lang)
            if spec.kind == "category":
                cats = list(spec.categories)
                current = widget.value
                if current not in cats and current != EMPTY:
                    cats.append(current)
                widget.options = [(EMPTY, t("field.empty_choice", lang))] + [
                    (c, pc.format_feature_value(spec.name, c, lang)) for c in cats]
            else:
                widget.value = _retype(widget.value, lang)
        self.recompute_button.label = t("whatif.recompute", lang)
        self.reset_button.label = t("whatif.reset", lang)
        self.bars.xaxis[0].axis_label = t("whatif.bar_label", lang)
        self.threshold_label.text = f"{t('whatif.threshold', lang)} {fmt_percent(self.threshold, lang)}"
        for name in self.inputs:  # hints in the current language (messages: see _revalidate_all)
            if name not in self.errors:
                self._show_field_error(name, None)


def _retype(text: str, lang: str) -> str:
    """Switch a plain number's decimal mark to the language's (other text is left as typed)."""
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        return text
    return text_of(number, lang) if math.isfinite(number) else text


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)

