"""Recourse end to end in the served dashboard: a refused applicant's first option is reached with
the Tab key, applied with Enter, fills the what-if form and shows the credit granted after.
Skipped when /usr/bin/chromium is absent."""

from __future__ import annotations

import pytest

from bokeh_app.panels_whatif_fields import text_of
from scoring.paths import Paths
from scoring.service.inprocess import InProcessClient
from scoring.service.prediction_log import PredictionLog
from scoring.text import catalogue
from tests.browser_support import CHROMIUM, page_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium not installed at /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def refused_with_option(small_run: Paths, tmp_path_factory: pytest.TempPathFactory):
    """A refused new applicant of the small run that has at least one option, and its options."""
    import polars as pl

    client = InProcessClient(small_run, prediction_log=PredictionLog(
        tmp_path_factory.mktemp("recourse_browser") / "p.sqlite"))
    try:
        new = client.store.features.filter(pl.col("SAMPLE") == "new")["SK_ID_CURR"].to_list()
        for cid in new:
            if client.score(cid).refused:
                result = client.recourse(cid, "fr")
                if result.options:
                    return cid, result
    finally:
        client.close()
    pytest.fail("no refused applicant with an option in the small run")


def test_an_option_is_applied_from_the_keyboard(dashboard_server: str, chromium, refused_with_option) -> None:
    expect = pytest.importorskip("playwright.sync_api").expect
    cid, result = refused_with_option
    option = result.options[0]
    with page_in(chromium, viewport={"width": 1280, "height": 2400}) as page:
        page.goto(f"{dashboard_server}?client={cid}&lang=fr", wait_until="load")
        page.locator("p.decision").wait_for(timeout=30_000)
        toggle = page.get_by_role("button", name="▸ Simuler un changement (afficher)")
        toggle.click()
        apply = page.get_by_role("button", name="Appliquer la possibilité 1")
        apply.wait_for(timeout=30_000)
        page.get_by_text(option.sentence).first.wait_for(timeout=10_000)
        page.get_by_role("button", name="▾ Simuler un changement (masquer)").focus()
        for _ in range(40):  # the button is reached with Tab, in the page's order
            page.keyboard.press("Tab")
            if apply.evaluate("e => e.getRootNode().activeElement === e"):
                break
        else:
            raise AssertionError("'Appliquer la possibilité 1' is not reachable with the Tab key")
        page.keyboard.press("Enter")
        page.get_by_text("Après modification").first.wait_for(timeout=20_000)
        for name, value in option.changes.items():
            field = page.get_by_label(f"{catalogue.label(name, 'fr')} (€)", exact=True)
            expect(field).to_have_value(text_of(value, "fr"), timeout=10_000)
        status = page.get_by_role("status").filter(has_text="Après modification").first
        assert "Crédit accordé" in status.inner_text().split("→")[-1]
