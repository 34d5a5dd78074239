"""The what-if form's fields: spec, label with unit, hint, typed text, and the accessible error.

Kept apart from `panels_whatif` (widgets and callbacks) so that the panel
module stays short. An invalid field is shown three ways, never by colour
alone: a thick border (a per-field stylesheet toggled by the server), the
word "Erreur"/"Error" with an icon in the message under the field, and, for
assistive technology, `aria-invalid="true"` plus `aria-describedby` on the
input pointing at a message element *inside the widget's own shadow root*
(an id reference cannot cross shadow roots, and Bokeh offers no property for
the inner `<input>`'s attributes: a small `CustomJS` patches the view and
re-applies itself after every re-render, e.g. a title change).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bokeh.models import CustomJS, InlineStyleSheet

from bokeh_app import panels_common as pc
from bokeh_app.i18n import N_, check_lang, t
from scoring.service.protocol import WhatIfForm

EMPTY = ""
#: Display unit (catalogue UNITS key) -> message key of its short form shown in the label;
#: categories and yes/no fields carry no unit.
UNIT_KEYS = {"currency": N_("unit.currency"), "years": N_("unit.years"),
             "months": N_("unit.months"), "days": N_("unit.days"),
             "percent": N_("unit.percent"), "count": N_("unit.count"),
             "ratio": N_("unit.ratio"), "score": N_("unit.score")}
#: Id of the message element inside each input's shadow root.
MESSAGE_ID = "field-message"
#: The border an invalid field gets (3 px, the refusal colour: >= 3:1 for a UI component).
ERROR_CSS = (f":host .bk-input {{ border: 3px solid {pc.REFUSED}; }} "
             f":host .bk-input:focus {{ outline: 3px solid {pc.TEXT}; outline-offset: 2px; }}")


@dataclass(frozen=True)
class FieldSpec:
    """One editable field as the form needs it (values in display units)."""

    name: str
    labels: dict[str, str]
    kind: str  # "int" | "float" | "category"
    minimum: float | None
    maximum: float | None
    categories: tuple[str, ...]
    required: bool
    feature: str  # feature column holding the client's current value
    unit: str = ""  # display unit (catalogue UNITS key)

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels.get("fr") or self.name

    def title(self, lang: str) -> str:
        """The label with its display unit, e.g. "Montant du crédit (€)"."""
        key = UNIT_KEYS.get(self.unit)
        if key is None:
            return self.label(lang)
        return t("field.with_unit", lang, label=self.label(lang), unit=t(key, lang))


def field_specs(form: WhatIfForm) -> list[FieldSpec]:
    """The service's editable fields (it never offers protected attributes: scoring.service.overrides)."""
    return [FieldSpec(f.name, dict(f.labels), f.kind, f.minimum, f.maximum, tuple(f.categories),
                      f.required, f.feature, f.unit)
            for f in form.fields]


def text_of(value: Any, lang: str) -> str:
    """A number as typed in a field: at most 2 decimals, no thousands separator, the
    language's decimal mark."""
    if value is None:
        return EMPTY
    if isinstance(value, str):
        return value
    text = (f"{int(value)}" if float(value).is_integer()
            else f"{float(value):.2f}".rstrip("0").rstrip("."))
    return text.replace(".", ",") if check_lang(lang) == "fr" else text


def field_hint(spec: FieldSpec, lang: str) -> str:
    """What a field takes, in words, before anything is typed (kind, limits, required)."""
    required = t("field.required", lang) if spec.required else ""
    kind = (t("field.choice", lang) if spec.kind == "category"
            else t("field.integer", lang) if spec.kind == "int" else t("field.number", lang))
    low = (t("field.min", lang, min=pc.format_feature_value(spec.name, spec.minimum, lang))
           if spec.minimum is not None else "")
    high = (t("field.max", lang, max=pc.format_feature_value(spec.name, spec.maximum, lang))
            if spec.maximum is not None else "")
    return " ".join(part for part in (kind, low, high, required) if part)


def error_text(error: str, lang: str) -> str:
    """The message of an invalid field, led by the word "Erreur"/"Error" (not colour alone)."""
    return t("field.error", lang, message=error)


# The browser side of the accessible description: tags = [state, text] on the widget.
_DESCRIBE_JS = f"""
const apply = (view) => {{
  const input = view.input_el, root = view.shadow_el;
  if (input == null || root == null) return;
  const [state, text] = view.model.tags.length == 2 ? view.model.tags : ["", ""];
  let el = root.querySelector("#{MESSAGE_ID}");
  if (el == null) {{
    el = document.createElement("div");
    el.id = "{MESSAGE_ID}";
    // visually hidden: the visible message sits under the field
    el.style.cssText = "position:absolute;width:1px;height:1px;overflow:hidden;" +
                       "clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap;";
    root.append(el);
  }}
  el.textContent = text;
  if (text) input.setAttribute("aria-describedby", "{MESSAGE_ID}");
  else input.removeAttribute("aria-describedby");
  if (state == "invalid") input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}};
for (const view of Bokeh.index.find_all(cb_obj)) {{
  if (!view._field_described) {{
    const render = view.render;
    view.render = function(...args) {{ render.apply(this, args); apply(this); }};
    view._field_described = true;
  }}
  apply(view);
}}
"""


def describe_callback() -> CustomJS:
    """A new (per-session) callback that keeps the input's accessible description in step."""
    return CustomJS(code=_DESCRIBE_JS)


def new_error_sheet() -> InlineStyleSheet:
    """A field's own stylesheet: empty while valid, the error border while invalid."""
    return InlineStyleSheet(css="")
