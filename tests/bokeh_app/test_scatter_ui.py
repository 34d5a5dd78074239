"""Scatter usability and accessibility, server side: bound fields follow a dragged box, named
bound errors, localised tooltips (one point), toolbar descriptions, named chart surfaces."""

from __future__ import annotations

import numpy as np
import pytest
from bokeh.events import SelectionGeometry

from bokeh_app.panels_scatter import ScatterPanel
from bokeh_app.panels_scatter_views import bound_text, local_number, parse_bound
from scoring.service.protocol import region_contains
from tests.panels_support import FakeClient, make_population

CLIENT = 100_011


@pytest.fixture(scope="module")
def world():
    return make_population(n=800, seed=5)


@pytest.fixture()
def panel(world) -> ScatterPanel:
    p = ScatterPanel(FakeClient(world[1], pop=world[0]), max_points=300)
    p.set_client(CLIENT)
    return p


@pytest.mark.parametrize("value,fr,en", [
    (123456.7, "123\u202f500", "123,500"), (0.0123456, "0,01235", "0.01235"),
    (-2.5, "-2,5", "-2.5"), (1234.5678, "1\u202f235", "1,235"), (0.0, "0", "0"),
])
def test_bound_text_four_significant_digits_in_the_page_format(value, fr, en):
    assert bound_text(value, "fr").replace("\u2212", "-") == fr
    assert bound_text(value, "en").replace("\u2212", "-") == en
    assert parse_bound(bound_text(value, "fr"), "fr") == pytest.approx(float(f"{value:.4g}"))
    assert parse_bound(bound_text(value, "en"), "en") == pytest.approx(float(f"{value:.4g}"))


def test_parse_bound_accepts_both_notations_and_refuses_text():
    assert parse_bound("1 234,5", "fr") == 1234.5 and parse_bound("1,234.5", "fr") == 1234.5
    assert parse_bound("0,5", "en") == 0.5 and parse_bound("12,345", "en") == 12345
    assert parse_bound("−3", "fr") == -3 and parse_bound("abc") is None and parse_bound("") is None


def test_dragged_box_writes_its_bounds_into_the_fields(panel):
    xs, ys = panel.source.data["x"], panel.source.data["y"]
    x0, x1 = sorted(xs)[30], sorted(xs)[250]
    y0, y1 = sorted(ys)[10], sorted(ys)[280]
    geometry = {"type": "rect", "x0": x0, "x1": x1, "y0": y0, "y1": y1}
    panel.source.selected.indices = np.flatnonzero(region_contains(geometry, xs, ys)).tolist()
    panel._on_geometry(SelectionGeometry(panel.figure, geometry=geometry, final=True))
    assert panel.selection_source == "geometry"
    for key, value in (("x0", x0), ("x1", x1), ("y0", y0), ("y1", y1)):
        assert panel.bounds[key].value == bound_text(value, "fr")
    panel.set_language("en")
    assert panel.bounds["x1"].value == bound_text(float(bound_text(x1, "fr").replace("\u202f", "")
                                                        .replace(",", ".").replace("\u2212", "-")), "en")


def test_invalid_bound_names_its_field(panel):
    panel.bounds["y1"].value = "abc"
    panel.apply_bounds()
    label = panel.features[panel.y_name].labels["fr"]
    assert f"Borne haute de {label} : nombre attendu (reçu : « abc »)" in panel.bounds_message.text
    panel.set_language("en")
    panel.apply_bounds()
    assert "Upper bound of" in panel.bounds_message.text and "abc" in panel.bounds_message.text


def test_tooltips_named_localised_and_single(panel):
    hover = panel.hover
    labels = [name for name, _ in hover.tooltips]
    fx = panel.features[panel.x_name].labels["fr"]
    assert labels[:2] == [fx, panel.features[panel.y_name].labels["fr"]] and "x" not in labels
    assert hover.limit == 1
    assert "fr-FR" in hover.formatters["@x"].code and "percent" in hover.formatters["@proba"].code
    panel.set_language("en")
    assert "en-GB" in panel.hover.formatters["@y"].code
    assert "en-GB" in panel.hist_hover.formatters["@top"].code
    assert "fr-FR" in local_number("fr", 2).code


def test_every_tool_has_a_description_in_the_page_language(panel):
    names = {type(tool).__name__: tool.description for tool in panel.figure.toolbar.tools}
    assert names["BoxSelectTool"] == "Sélection rectangulaire" and names["LassoSelectTool"] == "Lasso"
    assert names["PanTool"] == "Déplacer" and names["WheelZoomTool"] == "Zoom molette"
    assert names["SaveTool"] == "Enregistrer l'image" and names["ResetTool"]
    assert all(tool.description for tool in [*panel.figure.toolbar.tools, *panel.hist.toolbar.tools])
    panel.set_language("en")
    names = {type(tool).__name__: tool.description for tool in panel.figure.toolbar.tools}
    assert names["BoxSelectTool"] == "Box select" and names["PanTool"] == "Pan"
    assert {tool.description for tool in panel.hist.toolbar.tools} >= {"Save the image"}


def test_figures_are_named_and_summarised_in_the_current_language(panel):
    for fig in (panel.figure, panel.hist):
        assert fig.html_attributes["role"] == "figure"
    assert panel.figure.html_attributes["aria-label"].startswith("Nuage de points")
    assert panel.hist.html_attributes["aria-label"].startswith("Histogramme")
    assert "Toute la population" in panel.hist.html_attributes["aria-label"]
    panel.set_language("en")
    assert panel.figure.html_attributes["aria-label"].startswith("Scatter plot")
    assert panel.hist.html_attributes["aria-label"].startswith("Histogram of")
