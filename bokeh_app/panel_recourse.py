"""What would change the decision, inside the what-if section, and the unusual-value warnings.

For a refused client the service's options (`ScoringClient.recourse`: only the
amount, the instalment or the price of the goods change, each option granted
when re-scored) are listed as numbered sentences, each with its own
"Appliquer la possibilité N" button: it fills the what-if form with the
option's values (everything else back to the client's) and recomputes, so the
advisor sees the before/after. For a granted client, the margin to the
threshold and the largest amount still granted (with its own button).

A what-if whose values the model has not seen still shows its score, with a
warning that names the fields in words (an icon and the word "Attention", never
colour alone); its text is rebuilt from the fields' catalogue labels, so a
language switch needs no new call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bokeh.layouts import column
from bokeh.models import Button, Div

from bokeh_app import panels_common as pc
from bokeh_app.i18n import check_lang, t
from scoring.service.protocol import DataWarning, Recourse, RecourseOption
from scoring.text.catalogue import label as feature_label


def warning_texts(warnings: list[DataWarning], lang: str) -> list[str]:
    """One sentence per warning, naming its fields in `lang`."""
    out = []
    for warning in warnings:
        fields = ", ".join(_label(name, lang) for name in warning.fields)
        out.append(t("recourse.warning_range" if warning.kind == "range" else "recourse.warning_combination",
                     lang, fields=fields))
    return out


def warnings_html(warnings: list[DataWarning], lang: str) -> str:
    """The warnings as a status region ("" when there is none)."""
    if not warnings:
        return ""
    items = "".join(f"<li>{pc.esc(text)}</li>" for text in warning_texts(warnings, lang))
    return (f"<div role='status' style='border:2px solid {pc.TEXT};padding:0.3em 0.6em;margin:0.3em 0'>"
            f"<p style='margin:0.2em 0'><b>⚠ {pc.esc(t('recourse.warning_heading', lang))}</b></p>"
            f"<ul style='margin:0.2em 0'>{items}</ul></div>")


def _label(name: str, lang: str) -> str:
    return feature_label(name, lang)


class RecourseView:
    """The options (or margin) of the what-if panel's client, with one Apply button each."""

    def __init__(self, client: Any, lang: str, sheets: list[Any], on_apply: Callable[[dict[str, Any]], None]):
        self.client = client
        self.lang = check_lang(lang)
        self.scale = 1.0
        self.sheets = sheets
        self.on_apply = on_apply
        self.client_id: int | None = None
        self.result: Recourse | None = None
        self.error: str | None = None
        self.heading = Div(stylesheets=sheets)
        self.summary = Div(stylesheets=sheets, sizing_mode="stretch_width")
        self.options = column(sizing_mode="stretch_width")
        self.buttons: list[Button] = []
        self.warnings = Div(stylesheets=sheets, sizing_mode="stretch_width")  # placed by the panel
        self.shown_warnings: list[DataWarning] = []
        self.layout = column(self.heading, self.summary, self.options, sizing_mode="stretch_width",
                             css_classes=["panel-box"])
        self._render()

    def set_client(self, client_id: int) -> None:
        self.client_id = int(client_id)
        self._fetch()

    def set_language(self, lang: str) -> None:
        self.lang = check_lang(lang)
        if self.client_id is not None:
            self._fetch()  # the sentences come from the service, in the language asked
        else:
            self._render()
        self.show_warnings(self.shown_warnings)

    def set_text_scale(self, scale: float) -> None:
        self.scale = pc.clamp_scale(scale)
        self._render()

    def show_warnings(self, warnings: list[DataWarning]) -> None:
        self.shown_warnings = list(warnings)
        self.warnings.text = warnings_html(self.shown_warnings, self.lang)

    # -- internals
    def _fetch(self) -> None:
        try:
            self.result, self.error = self.client.recourse(self.client_id, self.lang), None
        except Exception as exc:  # noqa: BLE001 - the form still works without the options
            self.result, self.error = None, str(exc)
        self._render()

    def _render(self) -> None:
        lang = self.lang
        self.heading.text = pc.heading(3, t("recourse.title", lang), self.scale)
        result = self.result
        if self.error is not None:
            self.summary.text = f"<p role='status'>{pc.esc(t('recourse.unavailable', lang, message=self.error))}</p>"
        elif result is None:
            self.summary.text = f"<p>{pc.esc(t('recourse.pending', lang))}</p>"
        else:
            self.summary.text = f"<p>{pc.esc(result.summary)}</p>"
        rows, self.buttons = [], []
        if result is not None and self.error is None:
            entries = [(t("recourse.option", lang, n=i, label=o.label), t("recourse.apply", lang, n=i), o)
                       for i, o in enumerate(result.options, 1)]
            if result.headroom is not None:
                entries.append((result.headroom.label, t("recourse.apply_headroom", lang), result.headroom))
            for title, button_label, option in entries:
                rows.append(self._row(title, button_label, option))
        self.options.children = rows

    def _applier(self, changes: dict[str, Any]) -> Callable[[], None]:
        def apply() -> None:
            self.on_apply(changes)
        return apply

    def _row(self, title: str, button_label: str, option: RecourseOption) -> Any:
        text = Div(text=f"<p style='margin:0.3em 0'><b>{pc.esc(title)}</b><br>{pc.esc(option.sentence)}</p>",
                   stylesheets=self.sheets, sizing_mode="stretch_width")
        button = Button(label=button_label, stylesheets=self.sheets)
        button.on_click(self._applier(dict(option.changes)))
        self.buttons.append(button)
        return column(text, button, sizing_mode="stretch_width")
