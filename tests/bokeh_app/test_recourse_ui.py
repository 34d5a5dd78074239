"""Recourse in the what-if panel, server side: options listed as sentences with one Apply button each;
applying one fills the form and shows the before/after; unusual-value warnings name the fields."""

from __future__ import annotations

import html
from dataclasses import replace
from typing import Any

import pytest
from bokeh.events import ButtonClick

from bokeh_app.panels_whatif import WhatIfPanel, text_of
from scoring.service.protocol import DataWarning, WhatIf
from tests.panels_support import FakeClient, make_population


@pytest.fixture(scope="module")
def world():
    return make_population(n=800, seed=5)


@pytest.fixture()
def client(world) -> FakeClient:
    return FakeClient(world[1], pop=world[0])


def _refused_with_option(client: FakeClient) -> tuple[int, Any]:
    for cid in client.client_ids():
        result = client.recourse(cid)
        if result.refused and result.options:
            return cid, result
    raise AssertionError("the constructed population has no refused client")


def _click(button: Any) -> None:
    button._trigger_event(ButtonClick(button))


def test_options_are_listed_with_an_apply_button_each(client: FakeClient) -> None:
    cid, result = _refused_with_option(client)
    panel = WhatIfPanel(client)
    panel.set_client(cid)
    view = panel.recourse
    texts = html.unescape(" ".join(child.children[0].text for child in view.options.children))
    assert "Possibilité 1 : Emprunter moins" in texts and result.options[0].sentence in texts
    assert [b.label for b in view.buttons] == ["Appliquer la possibilité 1"]
    assert "Ce qui changerait la décision" in view.heading.text and result.summary in view.summary.text
    panel.set_language("en")
    assert [b.label for b in view.buttons] == ["Apply option 1"]
    assert "What would change the decision" in view.heading.text


def test_applying_an_option_fills_the_form_and_shows_before_and_after(client: FakeClient) -> None:
    cid, result = _refused_with_option(client)
    option = result.options[0]
    panel = WhatIfPanel(client)
    panel.set_client(cid)
    panel.inputs["AMT_INCOME_TOTAL"].value = "1"  # an earlier edit: applying starts from the client's values
    _click(panel.recourse.buttons[0])
    assert panel.inputs["AMT_CREDIT"].value == text_of(option.changes["AMT_CREDIT"], "fr")
    assert panel.inputs["AMT_INCOME_TOTAL"].value == text_of(panel.original["AMT_INCOME_TOTAL"], "fr")
    assert client.calls[-1] == (cid, option.changes)
    assert panel.result is not None and panel.result.before.score.refused and not panel.result.after.score.refused
    after = html.unescape(panel.after_div.text)
    assert "Après" in after and "accordé" in after
    assert "→" in html.unescape(panel.status.text)


def test_a_granted_client_sees_its_margin_and_no_option(client: FakeClient) -> None:
    granted = next(cid for cid in client.client_ids() if not client.recourse(cid).refused)
    panel = WhatIfPanel(client)
    panel.set_client(granted)
    assert panel.recourse.buttons == [] and "accordé" in panel.recourse.summary.text


class WarningClient(FakeClient):
    """A what-if whose edited credit is far beyond the training range."""

    def what_if(self, client_id: int, overrides: dict[str, Any], top: int = 10, lang: str = "fr") -> WhatIf:
        result = super().what_if(client_id, overrides, top, lang)
        warning = DataWarning("range", ["AMT_CREDIT", "CREDIT_INCOME_RATIO"], ["x", "y"], "service text")
        return replace(result, after=replace(result.after, warnings=[warning]))


def test_unusual_values_are_named_in_words_in_both_languages(world) -> None:
    client = WarningClient(world[1], pop=world[0])
    panel = WhatIfPanel(client)
    panel.set_client(client.client_ids()[0])
    assert panel.recourse.warnings.text == ""
    panel.inputs["AMT_CREDIT"].value = "9000000"
    panel.recompute()
    shown = html.unescape(panel.recourse.warnings.text)
    assert "⚠" in shown and "Attention" in shown and "role='status'" in shown
    assert "Montant du crédit, Crédit / revenu annuel" in shown
    panel.set_language("en")
    shown = html.unescape(panel.recourse.warnings.text)
    assert "Caution" in shown and "Credit amount, Credit / annual income" in shown
    panel.reset()
    assert panel.recourse.warnings.text == ""


def test_the_form_still_works_when_options_are_unavailable(world) -> None:
    class NoRecourse(FakeClient):
        def recourse(self, client_id: int, lang: str = "fr") -> Any:
            raise RuntimeError("service down")

    client = NoRecourse(world[1], pop=world[0])
    panel = WhatIfPanel(client)
    panel.set_client(client.client_ids()[0])
    assert "service down" in panel.recourse.summary.text and panel.recourse.buttons == []
    panel.inputs["AMT_CREDIT"].value = "123000"
    panel.recompute()
    assert client.calls
