"""The comparison chart reads in the advisor's language and never hides a bar or cuts a label."""

from __future__ import annotations

import numpy as np
import pytest

from bokeh_app.panels_compare import ComparePanel
from tests.panels_support import FakeClient, make_population

CLIENT = 100_011  # a client of the generated population (as in test_panels)


@pytest.fixture(scope="module")
def world():
    return make_population(n=1500, seed=9)


@pytest.fixture()
def panel(world) -> ComparePanel:
    panel = ComparePanel(FakeClient(world[1], pop=world[0]))
    panel.set_client(CLIENT)
    return panel


def test_the_legend_stands_above_the_plot_not_over_the_bars(panel):
    assert panel.legend in panel.figure.above and panel.legend not in panel.figure.center
    assert panel.legend.orientation == "horizontal"


def test_hover_texts_are_in_the_page_language(panel):
    panel.feature_select.value = "AMT_INCOME_TOTAL"
    data = panel.sources[0].data
    big = int(np.argmax(data["count"]))
    assert data["count_text"][big] == f"{data['count'][big]:,}".replace(",", "\u202f")
    assert data["top_text"][big] == f"{data['top'][big]:.1f}".replace(".", ",")
    fields = [field for _, field in panel.hover.tooltips]
    assert "@count_text" in fields and "@top_text" in fields and not any("{" in f for f in fields)
    panel.set_language("en")
    data = panel.sources[0].data
    assert data["top_text"][big] == f"{data['top'][big]:.1f}"


def test_the_client_label_stays_on_the_side_with_room(panel):
    panel.feature_select.value = "AMT_INCOME_TOTAL"
    bars = panel.sources[0].data
    middle = (bars["left"][0] + bars["right"][-1]) / 2
    right_half = panel.span.location > middle
    assert panel.marker_label.text_align == ("right" if right_half else "left")
    assert (panel.marker_label.x_offset < 0) == right_half


def test_long_category_names_wrap_instead_of_overlapping(panel):
    panel.feature_select.value = "NAME_CONTRACT_TYPE"
    labels = panel.figure.xaxis[0].major_label_overrides
    assert labels and all(len(line) <= 14 or " " not in line
                          for text in labels.values() for line in text.split("\n"))
    assert any("\n" in text for text in labels.values() if len(text.replace("\n", " ")) > 14)


def test_every_toolbar_button_is_described_in_the_page_language(panel):
    tools = {type(tool).__name__: tool.description for tool in panel.figure.toolbar.tools}
    assert tools["PanTool"] == "Déplacer" and tools["SaveTool"] == "Enregistrer l'image"
    assert all(tools.values()), tools
    panel.set_language("en")
    tools = {type(tool).__name__: tool.description for tool in panel.figure.toolbar.tools}
    assert tools["PanTool"] == "Pan" and all(tools.values()), tools
