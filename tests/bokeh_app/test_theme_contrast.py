"""WCAG 1.4.3 / 1.4.11: every text and graphic colour of the dashboard reaches 4.5:1 on its background.

Colours live in three places: bokeh_app/palette.py (plot glyphs), theme.yaml
(axes, titles, grids) and the two stylesheets (page and widget text). All are
read from the files themselves, so a new colour cannot skip the check.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bokeh_app import palette
from bokeh_app.palette import contrast_ratio, relative_luminance

APP = Path(palette.__file__).resolve().parent
MIN_RATIO = 4.5
HEX = re.compile(r"#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")


def test_contrast_formula_matches_wcag_reference_values():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the classic AA grey
    assert relative_luminance("#fff") == pytest.approx(1.0)
    with pytest.raises(ValueError):
        relative_luminance("#12")


@pytest.mark.parametrize("name", sorted(palette.graphic_pairs()))
def test_palette_pairs(name):
    fg, bg = palette.graphic_pairs()[name]
    assert contrast_ratio(fg, bg) >= MIN_RATIO, f"{name}: {fg} on {bg} is {contrast_ratio(fg, bg):.2f}:1"


def test_every_palette_constant_is_checked():
    checked = {c.lower() for pair in palette.graphic_pairs().values() for c in pair}
    constants = {v.lower() for k, v in vars(palette).items()
                 if k.isupper() and isinstance(v, str) and v.startswith("#")}
    constants |= {c.lower() for c in palette.RISK_BANDS}
    assert constants <= checked


def _theme_colours() -> dict[str, str]:
    attrs = yaml.safe_load((APP / "theme.yaml").read_text(encoding="utf-8"))["attrs"]
    out = {}
    for model, props in attrs.items():
        for prop, value in props.items():
            if prop.endswith("_color") and isinstance(value, str):
                out[f"{model}.{prop}"] = value
    return out


def test_theme_colours_on_the_plot_background():
    colours = _theme_colours()
    backgrounds = {v for k, v in colours.items() if k.endswith(("background_fill_color", "border_fill_color"))}
    assert backgrounds == {palette.BACKGROUND}
    foreground = {k: v for k, v in colours.items() if not k.endswith("_fill_color")}
    assert {"Axis.major_label_text_color", "Axis.axis_label_text_color", "Title.text_color",
            "Grid.grid_line_color"} <= set(foreground)
    for name, colour in foreground.items():
        assert contrast_ratio(colour, palette.BACKGROUND) >= MIN_RATIO, f"theme {name} = {colour}"


def _css_variables(text: str) -> dict[str, str]:
    root = re.search(r":root\s*\{(.*?)\}", text, re.S).group(1)
    return dict(re.findall(r"--([\w-]+)\s*:\s*(#[0-9a-fA-F]{3,6})\s*;", root))


def test_stylesheet_colours():
    page = (APP / "static" / "css" / "dashboard.css").read_text(encoding="utf-8")
    widgets = (APP / "static" / "css" / "widgets.css").read_text(encoding="utf-8")
    v = _css_variables(page)
    bg = v["bg"]
    for name in ("fg", "muted", "focus", "error", "granted", "refused", "frame"):
        assert contrast_ratio(v[name], bg) >= MIN_RATIO, f"--{name}: {v[name]} on {bg}"
    assert contrast_ratio("#ffffff", v["focus"]) >= MIN_RATIO  # primary button text
    assert contrast_ratio(v["fg"], "#f2f2f2") >= MIN_RATIO  # <code> background
    # the widget sheet's fallbacks are the page's values (same colours inside shadow roots)
    for name, fallback in re.findall(r"var\(--([\w-]+),\s*(#[0-9a-fA-F]{3,6})\)", widgets):
        assert fallback.lower() == v[name].lower(), f"widgets.css fallback for --{name}"
    # no other literal colour hides in the widget sheet
    literals = set(HEX.findall(re.sub(r"var\(--[\w-]+,\s*#[0-9a-fA-F]{3,6}\)", "", widgets)))
    assert {c.lower() for c in literals} <= {"#ffffff", "#f2f2f2"}


def test_focus_is_visible_everywhere():
    page = (APP / "static" / "css" / "dashboard.css").read_text(encoding="utf-8")
    widgets = (APP / "static" / "css" / "widgets.css").read_text(encoding="utf-8")
    for sheet in (page, widgets):
        block = re.search(r":focus-visible[^{]*\{([^}]*)\}", sheet).group(1)
        assert re.search(r"outline:\s*3px solid var\(--focus", block)
    for selector in ("input:focus-visible", "select:focus-visible", "button:focus-visible",
                     "summary:focus-visible"):
        assert selector in widgets
