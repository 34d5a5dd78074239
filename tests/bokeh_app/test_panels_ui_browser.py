"""Browser checks of the what-if and scatter accessibility fixes, in the served dashboard.

An invalid what-if field is described by its message (Chromium's accessibility
tree), Enter recomputes, the status line follows the language switch; a
dragged box fills the keyboard bound fields; a dense area shows one tooltip
with feature labels and French numbers; toolbar buttons and chart surfaces
are named in the page's language. Skipped when /usr/bin/chromium is absent.
"""

from __future__ import annotations

import re

import pytest

from tests.bokeh_app import test_panels_browser as base
from tests.browser_support import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium not installed at /usr/bin/chromium"),
]

#: The served dashboard, its browser and a page with the sections open: the same fixtures.
server, browser, page = base.server, base.browser, base.page
_scatter_canvas_box = base._scatter_canvas_box
CREDIT = "Montant du crédit (€)"
#: Every element of the page, through the shadow roots Bokeh renders into.
WALK = """(test) => { const out = [];
  const walk = (root) => root.querySelectorAll('*').forEach((e) => {
    const v = test(e); if (v !== undefined) out.push(v); if (e.shadowRoot) walk(e.shadowRoot); });
  walk(document); return out; }"""
#: The densest spot of the scatter (canvas pixels) and how many points lie within 3 px of it.
DENSE = """() => {
  for (const view of Bokeh.index.query((v) => v.model.type == "GlyphRenderer")) {
    const data = view.model.data_source.data;
    if (!("proba" in data) || !("id" in data) || data.id.length < 100) continue;
    const {sx, sy} = view.glyph;
    let best = -1, at = 0;
    for (let i = 0; i < sx.length; i += 7) {
      let n = 0;
      for (let j = 0; j < sx.length; j++) if (Math.abs(sx[j] - sx[i]) < 3 && Math.abs(sy[j] - sy[i]) < 3) n++;
      if (n > best) { best = n; at = i; }
    }
    return {x: sx[at], y: sy[at], n: best};
  }
  return null; }"""


def _walk(page, test: str) -> list:
    return page.evaluate(f"() => ({WALK})({test})")


def _expect():
    return pytest.importorskip("playwright.sync_api").expect


def _description(page, name: str) -> str | None:
    """Chromium's computed accessible description of the textbox named `name`."""
    cdp = page.context.new_cdp_session(page)
    for node in cdp.send("Accessibility.getFullAXTree")["nodes"]:
        if node.get("role", {}).get("value") == "textbox" and node.get("name", {}).get("value") == name:
            return (node.get("description") or {}).get("value")
    raise AssertionError(f"no textbox named {name!r}")


def test_invalid_field_is_described_by_its_message(page):
    field = page.get_by_label(CREDIT, exact=True)
    field.fill("abc")
    field.press("Tab")
    message = "Erreur : Montant du crédit : nombre attendu (reçu : « abc »)"
    page.get_by_text(message).first.wait_for(timeout=10_000)
    _expect()(field).to_have_attribute("aria-invalid", "true", timeout=10_000)
    ref = field.evaluate("e => e.getAttribute('aria-describedby')")
    assert field.evaluate("(e, id) => e.getRootNode().getElementById(id).textContent", ref) == message
    assert field.evaluate("e => getComputedStyle(e).borderTopWidth") == "3px"
    assert _description(page, CREDIT) == message
    field.fill("250000")
    field.press("Tab")
    _expect()(field).not_to_have_attribute("aria-invalid", "true", timeout=10_000)
    assert field.evaluate("e => getComputedStyle(e).borderTopWidth") != "3px"


def test_enter_recomputes_and_status_follows_the_language(page):
    field = page.get_by_label(CREDIT, exact=True)
    original = float(field.input_value().replace(",", "."))
    field.fill("")
    field.press_sequentially(str(int(original * 5)), delay=20)  # keystrokes alone compute nothing
    page.wait_for_timeout(800)
    _expect()(page.get_by_text("Après modification")).to_have_count(0)
    field.press("Enter")
    done = page.get_by_text("Après modification").first
    done.wait_for(timeout=15_000)
    french = done.inner_text()
    page.get_by_label("Langue").select_option(label="English")
    page.wait_for_function("document.documentElement.lang === 'en'", timeout=20_000)
    status = page.get_by_role("status").filter(has_text="→").first
    _expect()(status).not_to_have_text(french, timeout=15_000)
    assert "Après" not in status.inner_text() and "→" in status.inner_text()
    _expect()(page.get_by_label("Credit amount (€)", exact=True)).to_be_visible()


def test_dragged_box_fills_the_bound_fields(page):
    fields = page.get_by_label(re.compile(r" : (de|à)$"))
    before = [f.input_value() for f in fields.all()]
    assert len(before) == 4
    box = _scatter_canvas_box(page)
    x0, y0 = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3
    x1, y1 = box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.7
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x1, y1, steps=8)
    page.mouse.up()
    page.get_by_text("Sélection :").first.wait_for(timeout=15_000)
    _expect()(fields.first).not_to_have_value(before[0], timeout=10_000)
    after = [f.input_value() for f in fields.all()]
    for text in after:  # French notation, at most 4 significant digits
        assert re.fullmatch(r"[−-]?[\d\u202f]+(,\d+)?", text), text
        assert len(re.sub(r"\D", "", text).lstrip("0")) <= 4, text


def test_dense_area_shows_one_localised_tooltip(page):
    box = _scatter_canvas_box(page)
    spot = page.evaluate(DENSE)
    assert spot and spot["n"] >= 3, spot  # several points under the pointer
    page.mouse.move(box["x"] + spot["x"] + 1, box["y"] + spot["y"] + 1)
    page.wait_for_timeout(800)
    tips = _walk(page, "(e) => e.classList && e.classList.contains('bk-tooltip-content') "
                       "&& e.offsetParent !== null ? e.innerText : undefined")
    assert len(tips) == 1, tips
    lines = tips[0].splitlines()
    assert len(lines) == 3 and not lines[0].startswith("x"), lines
    assert re.search(r"\d,\d", tips[0]) and "%" in lines[2], tips


def test_toolbar_buttons_and_charts_are_named_in_the_page_language(page):
    titles = set(_walk(page, "(e) => e.getAttribute && e.getAttribute('title') || undefined"))
    assert {"Sélection rectangulaire", "Lasso", "Déplacer", "Zoom molette",
            "Enregistrer l'image"} <= titles, titles
    labels = _walk(page, "(e) => e.getAttribute && e.getAttribute('role') == 'figure' "
                         "? e.getAttribute('aria-label') : undefined")
    assert any(label.startswith("Nuage de points : ") for label in labels), labels
    assert any(label.startswith("Histogramme de la probabilité") for label in labels), labels
    page.get_by_label("Langue").select_option(label="English")
    page.wait_for_function("document.documentElement.lang === 'en'", timeout=20_000)
    page.wait_for_function(f"() => ({WALK})((e) => e.getAttribute && "
                           "e.getAttribute('title') == 'Box select' || undefined).length > 0",
                           timeout=20_000)
    labels = _walk(page, "(e) => e.getAttribute && e.getAttribute('role') == 'figure' "
                         "? e.getAttribute('aria-label') : undefined")
    assert any(label.startswith("Scatter plot: ") for label in labels), labels
