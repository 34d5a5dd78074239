"""Browser tests of the panels in the served dashboard: brush a region and see the summary
change; a what-if end to end; axe-core and keyboard access with every panel open.

They drive Debian's chromium through Playwright against `bokeh serve bokeh_app`
on the shared small run. Skipped when /usr/bin/chromium is absent.
"""

from __future__ import annotations

import pytest

from scoring.paths import Paths
from tests.browser_support import CHROMIUM, page_in, serious_axe_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium not installed at /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def server(dashboard_server: str, small_run: Paths) -> str:
    """The real dashboard with a train client opened from the URL."""
    import polars as pl

    ids = pl.read_parquet(small_run.features, columns=["SK_ID_CURR", "SAMPLE"])
    client_id = int(ids.filter(pl.col("SAMPLE") == "train")["SK_ID_CURR"][5])
    return f"{dashboard_server}?client={client_id}"


@pytest.fixture(scope="module")
def browser(server, chromium):
    return chromium


@pytest.fixture()
def page(browser, server):
    with page_in(browser, viewport={"width": 1280, "height": 2600}) as pg:
        pg.goto(server + "&lang=fr", wait_until="load")
        pg.locator("p.decision").wait_for(timeout=30_000)
        open_sections(pg)
        pg.get_by_text("Toute la population :").first.wait_for(timeout=30_000)
        yield pg


#: The sections below the first screen, as their buttons read while closed.
SECTIONS = ("Comparer le client avec d'autres clients", "Explorer deux caractéristiques (équipe data)",
            "Simuler un changement")


def open_sections(page) -> None:
    """Open the comparison, scatter and what-if sections, as an advisor clicks them."""
    for title in SECTIONS:
        page.get_by_role("button", name=f"▸ {title} (afficher)").click()
        page.get_by_role("button", name=f"▾ {title} (masquer)").wait_for(timeout=30_000)


def _scatter_canvas_box(page) -> dict:
    """Bounding box of the scatter's canvas: the first tall canvas below the panel's heading."""
    heading = page.get_by_text("Deux caractéristiques à la fois").first
    heading.scroll_into_view_if_needed()
    top = heading.bounding_box()["y"]
    boxes = [c.bounding_box() for c in page.locator("canvas").all()]
    boxes = sorted((b for b in boxes if b and b["height"] >= 380 and b["y"] > top), key=lambda b: b["y"])
    assert boxes, "scatter canvas not found"
    return boxes[0]


def test_brushing_a_region_updates_the_summary(page):
    summary = page.get_by_text("Toute la population :").first
    assert summary.is_visible()
    box = _scatter_canvas_box(page)
    x0, y0 = box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.3
    x1, y1 = box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.75
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=5)
    page.mouse.move(x1, y1, steps=5)
    page.mouse.up()
    selected = page.get_by_text("Sélection :").first
    selected.wait_for(timeout=15_000)
    text = selected.inner_text()
    assert "clients" in text and "taux de défaut observé" in text
    # the clear button (keyboard usable) restores the whole population
    button = page.get_by_role("button", name="Effacer la sélection")
    button.focus()
    page.keyboard.press("Enter")
    page.get_by_text("Toute la population :").first.wait_for(timeout=15_000)


def test_what_if_end_to_end(page):
    field = page.get_by_label("Montant du crédit (€)", exact=True)
    original = field.input_value()
    field.fill("abc")
    field.press("Tab")
    page.get_by_text("Montant du crédit : nombre attendu (reçu : « abc »)").first.wait_for(timeout=10_000)
    page.get_by_role("button", name="Recalculer").click()
    page.get_by_text("rien n'a été recalculé").first.wait_for(timeout=10_000)
    field.fill(str(int(float(original.replace(",", ".")) * 5)))
    field.press("Tab")
    page.get_by_role("button", name="Recalculer").click()
    done = page.get_by_text("Après modification").first
    done.wait_for(timeout=15_000)
    assert "→" in done.inner_text()
    page.get_by_role("button", name="Réinitialiser").click()
    expect = pytest.importorskip("playwright.sync_api").expect
    expect(page.get_by_label("Montant du crédit (€)", exact=True)).to_have_value(original, timeout=10_000)
    expect(page.get_by_text("Après modification")).to_have_count(0, timeout=10_000)


def test_axe_audit_of_the_panels(page):
    """No serious or critical axe-core violation, with the data tables open."""
    for summary in page.locator("summary").all():
        summary.click()
    bad = serious_axe_violations(page)
    assert not bad, bad


def test_keyboard_reaches_the_panel_controls(page):
    """Tab walks through selects, sliders, buttons, summaries and form fields."""
    page.locator("body").focus()
    tags = []
    for _ in range(40):
        page.keyboard.press("Tab")
        tags.append(page.evaluate("""() => {
            let e = document.activeElement;
            while (e && e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement;
            return e ? e.tagName : null; }"""))
    assert {"SELECT", "BUTTON", "SUMMARY", "INPUT"} <= set(tags), tags
