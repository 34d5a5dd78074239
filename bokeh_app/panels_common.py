"""Helpers shared by the comparison, scatter and what-if panels: fonts, colours, labels.

Kept apart from the panels so that each panel module holds only its own
widgets and callbacks. Nothing here holds state: every Bokeh model is created
by the caller, per session.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bokeh.models import InlineStyleSheet

from bokeh_app import palette
from bokeh_app.i18n import N_, fmt_number, t
from bokeh_app.panel_base import details, esc, html_table, rem, tick_formatter  # noqa: F401 - pc.esc etc.
from scoring.service.protocol import FeatureMeta, PopulationInfo

#: Base font sizes in px at text scale 1.0 (WCAG: text must scale to 200 %).
BASE_FONT = 16  # widgets and HTML text (the dashboard's --bokeh-font-size)
AXIS_FONT = 14
TITLE_FONT = 16
TICK_FONT = 13
#: Colours: the dashboard's palette (each >= 4.5:1 on white, tested there and in test_panels).
TEXT = palette.TEXT
GRANTED = palette.ACCEPTANCE
REFUSED = palette.REFUSAL
CLIENT = palette.THRESHOLD_MARK
SELECTION = "#5b2c83"  # dark purple, for the brushed selection only
NEUTRAL = palette.MUTED_TEXT
BACKGROUND = palette.BACKGROUND
MIN_SCALE, MAX_SCALE = 1.0, 2.0


def clamp_scale(scale: float) -> float:
    """Text scale bounded to 100 %..200 %."""
    return float(min(MAX_SCALE, max(MIN_SCALE, scale)))


def widget_css(scale: float) -> str:
    """CSS for every widget of a panel: Bokeh widgets and tables read these variables."""
    size = rem(BASE_FONT, scale)
    # a <select> is as wide as its longest option: cap it so 200 % text never scrolls sideways
    return (f":host {{ --bokeh-font-size: {size}; --font-size: {size}; "
            f"--data-table-font-size: {size}; font-size: {size}; color: {TEXT}; "
            f"min-width: 0; max-width: 100%; }} "
            f"select {{ max-width: 100%; min-width: 0; text-overflow: ellipsis; }}")


def new_stylesheet(scale: float = 1.0) -> InlineStyleSheet:
    return InlineStyleSheet(css=widget_css(scale))


#: The dashboard's shadow-root CSS (visible focus, table and heading styles), read once.
HOUSE_CSS_PATH = Path(__file__).resolve().parent / "static" / "css" / "widgets.css"
_house_css: list[str] = []


def house_stylesheet() -> InlineStyleSheet:
    """A new (per-session) stylesheet with the dashboard's widget CSS, when it exists."""
    if not _house_css:
        _house_css.append(HOUSE_CSS_PATH.read_text(encoding="utf-8")
                          if HOUSE_CSS_PATH.is_file() else "")
    return InlineStyleSheet(css=_house_css[0])


def heading(level: int, text: str, scale: float) -> str:
    size = {2: TITLE_FONT + 4, 3: TITLE_FONT + 1, 4: TITLE_FONT}[level]
    return f"<h{level} style='margin:0.2em 0;font-size:{rem(size, scale)}'>{esc(text)}</h{level}>"


def scale_figure(fig: Any, scale: float) -> None:
    """Scale a figure's title, axes, legends and colour bars."""
    if fig.title is not None:
        fig.title.text_font_size = rem(TITLE_FONT, scale)
    for axis in [*fig.xaxis, *fig.yaxis]:
        axis.axis_label_text_font_size = rem(AXIS_FONT, scale)
        axis.major_label_text_font_size = rem(TICK_FONT, scale)
    for legend in fig.legend:
        legend.label_text_font_size = rem(TICK_FONT, scale)
    for r in [*fig.right, *fig.below, *fig.above, *fig.left]:
        if type(r).__name__ == "ColorBar":
            r.title_text_font_size = rem(TICK_FONT, scale)
            r.major_label_text_font_size = rem(TICK_FONT, scale)


def scale_texts(items: Iterable[Any], scale: float) -> None:
    """Scale Bokeh annotations (Label) that carry their own font size."""
    for item in items:
        item.text_font_size = rem(TICK_FONT, scale)


def style_figure(fig: Any) -> None:
    """Dark text on white everywhere (contrast), no decoration that carries meaning alone."""
    fig.background_fill_color = BACKGROUND
    fig.border_fill_color = BACKGROUND
    if fig.title is not None:
        fig.title.text_color = TEXT
    for axis in [*fig.xaxis, *fig.yaxis]:
        axis.axis_label_text_color = TEXT
        axis.major_label_text_color = TEXT
        axis.axis_line_color = TEXT
        axis.major_tick_line_color = TEXT
    fig.toolbar.logo = None


def set_tick_formatters(axes: Iterable[Any], lang: str) -> None:
    for axis in axes:
        axis.formatter = tick_formatter(lang)


def feature_label(meta: FeatureMeta, lang: str) -> str:
    """A feature's readable label in `lang` (French, then its name, when missing)."""
    return meta.labels.get(lang) or meta.labels.get("fr") or meta.name


def group_label(info: PopulationInfo, key: str, lang: str) -> str:
    labels = next((g.labels for g in info.groups if g.key == key), None)
    if labels:
        return labels.get(lang) or labels.get("fr") or key
    return t("other_group", lang) if key == "other" else key


def feature_options(info: PopulationInfo, lang: str, *, numeric_only: bool = False
                    ) -> dict[str, list[tuple[str, str]]]:
    """Select options grouped by catalogue group (optgroups), labels sorted alphabetically."""
    order = [g.key for g in info.groups]
    groups: dict[str, list[FeatureMeta]] = {}
    for f in info.features:
        if numeric_only and f.kind != "numeric":
            continue
        groups.setdefault(f.group, []).append(f)
    keys = sorted(groups, key=lambda k: (order.index(k) if k in order else len(order), k))
    return {group_label(info, k, lang): [(f.name, feature_label(f, lang)) for f in
                                         sorted(groups[k], key=lambda f: feature_label(f, lang).lower())]
            for k in keys}


def first_option(options: dict[str, list[tuple[str, str]]]) -> str | None:
    for items in options.values():
        if items:
            return items[0][0]
    return None


def default_features(info: PopulationInfo, n: int, *, numeric_only: bool = False) -> list[str]:
    """The n most important (non-protected) features, to open a panel on something useful."""
    infos = {f.name: f for f in info.features}
    out = [name for name in info.importance if name in infos and not infos[name].protected
           and (not numeric_only or infos[name].kind == "numeric")][:n]
    return out or [f.name for f in info.features if not numeric_only or f.kind == "numeric"][:n]


def format_feature_value(name: str, value: Any, lang: str) -> str:
    """A feature value for display: the catalogue's formatter when it exists, else a number."""
    if value is None or (isinstance(value, float) and value != value):
        return t("missing", lang)
    try:
        from scoring.text.catalogue import format_value
    except ImportError:
        format_value = None
    if format_value is not None:
        try:
            return str(format_value(name, value, lang))
        except Exception:  # noqa: BLE001 - a formatter problem must not break a chart
            pass
    if isinstance(value, str):
        return value
    digits = 0 if float(value).is_integer() or abs(value) >= 100 else 2
    return fmt_number(float(value), lang, digits)


#: Tool class name -> message key of its toolbar tooltip.
TOOL_KEYS = {"PanTool": N_("tool.pan"), "WheelZoomTool": N_("tool.wheel_zoom"),
             "ResetTool": N_("tool.reset"), "SaveTool": N_("tool.save"),
             "BoxSelectTool": N_("tool.box_select"), "LassoSelectTool": N_("tool.lasso"),
             "HoverTool": N_("tool.hover")}


def describe_tools(fig: Any, lang: str) -> None:
    """Every toolbar button's tooltip (`description`) in the page's language."""
    for tool in fig.toolbar.tools:
        key = TOOL_KEYS.get(type(tool).__name__)
        if key is not None:
            tool.description = t(key, lang)
