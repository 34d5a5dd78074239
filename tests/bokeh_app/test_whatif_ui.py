"""What-if form usability and accessibility, server side: units in labels, an invalid field
flagged by more than colour, the status line in the current language, Enter recomputes."""

from __future__ import annotations

import html

import pytest
from bokeh.events import ValueSubmit

from bokeh_app.panels_whatif import WhatIfPanel
from bokeh_app.panels_whatif_fields import ERROR_CSS, MESSAGE_ID, describe_callback
from tests.panels_support import FakeClient, make_population

CLIENT = 100_011


@pytest.fixture(scope="module")
def world():
    return make_population(n=800, seed=5)


@pytest.fixture()
def client(world) -> FakeClient:
    return FakeClient(world[1], pop=world[0])


@pytest.fixture()
def panel(client) -> WhatIfPanel:
    p = WhatIfPanel(client)
    p.set_client(CLIENT)
    return p


def test_every_numeric_label_shows_its_unit_in_both_languages(panel):
    titles = {name: w.title for name, w in panel.inputs.items()}
    assert titles["AMT_CREDIT"] == "Montant du crédit (€)"
    assert titles["DAYS_EMPLOYED"].endswith("(années)")
    for spec in panel.specs:
        if spec.kind != "category":
            assert titles[spec.name].endswith(")"), titles[spec.name]
    panel.set_language("en")
    assert panel.inputs["AMT_CREDIT"].title == "Credit amount (€)"
    assert panel.inputs["DAYS_EMPLOYED"].title.endswith("(years)")


def test_invalid_field_gets_border_word_and_description(panel):
    widget = panel.inputs["AMT_CREDIT"]
    assert panel.error_sheets["AMT_CREDIT"].css == ""
    assert widget.tags[0] == "" if widget.tags else True
    widget.value = "abc"
    message = html.unescape(panel.messages["AMT_CREDIT"].text)
    assert "Erreur : Montant du crédit : nombre attendu (reçu : « abc »)" in message
    assert "⚠" in message and "role='alert'" in message
    assert panel.error_sheets["AMT_CREDIT"].css == ERROR_CSS and "border: 3px solid" in ERROR_CSS
    assert widget.tags[0] == "invalid" and "nombre attendu" in widget.tags[1]
    assert any(cb.code == describe_callback().code for cb in widget.js_property_callbacks["change:tags"])
    assert MESSAGE_ID in describe_callback().code
    panel.set_language("en")
    assert widget.tags[1].startswith("Error: ")
    widget.value = "250000"
    assert panel.error_sheets["AMT_CREDIT"].css == "" and widget.tags[0] == ""
    assert "role='alert'" not in panel.messages["AMT_CREDIT"].text


def test_status_line_follows_the_language_switch(panel, client):
    panel.inputs["AMT_CREDIT"].value = "abc"
    panel.recompute()
    assert "rien n'a été recalculé" in html.unescape(panel.status.text)
    panel.set_language("en")
    assert "rien" not in html.unescape(panel.status.text)
    assert "role='alert'" in panel.status.text
    panel.set_language("fr")
    panel.inputs["AMT_CREDIT"].value = "999999"
    panel.recompute()
    french = html.unescape(panel.status.text)
    assert client.calls and "→" in french
    panel.set_language("en")
    english = html.unescape(panel.status.text)
    assert english != french and "→" in english and "%" in english


def _submit(panel: WhatIfPanel, name: str, value: str) -> None:
    """What Bokeh sends on Enter: the field's ValueSubmit event."""
    widget = panel.inputs[name]
    for callback in widget._event_callbacks.get("value_submit", []):
        callback(ValueSubmit(widget, value))


def test_enter_recomputes_once_and_only_for_a_real_change(panel, client):
    widget = panel.inputs["AMT_CREDIT"]
    widget.value = "300000"  # a change (blur) only checks the field
    assert client.calls == []
    _submit(panel, "AMT_CREDIT", "300000")
    assert client.calls == [(CLIENT, {"AMT_CREDIT": 300000.0})]
    _submit(panel, "AMT_CREDIT", "300000")  # nothing new: no new computation
    assert len(client.calls) == 1
    _submit(panel, "AMT_CREDIT", "310000")  # Enter before the change event: the value is taken
    assert client.calls[-1] == (CLIENT, {"AMT_CREDIT": 310000.0}) and len(client.calls) == 2
    panel.set_language("en")  # the decimal mark changes, not the values: still nothing new
    _submit(panel, "AMT_CREDIT", widget.value)
    assert len(client.calls) == 2
    _submit(panel, "AMT_CREDIT", "abc")  # invalid: flagged, nothing scored
    assert len(client.calls) == 2 and "AMT_CREDIT" in panel.errors


def test_value_input_keystrokes_do_not_recompute(panel, client):
    widget = panel.inputs["AMT_CREDIT"]
    for text in ("3", "30", "300", "3000"):
        widget.value_input = text
    assert client.calls == [] and widget.value != "3000"


def test_service_errors_in_the_status_survive_the_language_switch(panel, client):
    """The status keeps the service's message (an exception's text outlives its except block)."""
    panel.inputs["AMT_INCOME_TOTAL"].value = ""  # passes the form (optional), the fake refuses
    panel.recompute()
    french = html.unescape(panel.status.text)
    assert "bad" in french
    panel.set_language("en")
    english = html.unescape(panel.status.text)
    assert "bad" in english and english != french
