"""Browser tests of the panels: brush a region and see the summary change; a what-if end to end.

They drive Debian's chromium through Playwright against `bokeh serve
tests/_panels_app` (the panels on the constructed population with the fake
client), so they run before the panels are mounted into the dashboard.
Skipped when /usr/bin/chromium is absent.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "tests" / "_panels_app"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium not installed at /usr/bin/chromium"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """`bokeh serve` of the standalone panels app on a free port (stopped afterwards)."""
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), BOKEH_LOG_LEVEL="warn")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bokeh", "serve", str(APP), "--port", str(port),
         "--address", "127.0.0.1", f"--allow-websocket-origin=127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    try:
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None:
                    out = proc.stdout.read().decode() if proc.stdout else ""
                    pytest.fail(f"bokeh serve exited: {out[-2000:]}")
                time.sleep(0.3)
        else:
            pytest.fail("bokeh serve did not start within 60 s")
        yield f"http://127.0.0.1:{port}/_panels_app"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield b
        b.close()


@pytest.fixture()
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 2600})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.goto(server + "?lang=fr", wait_until="load")
    pg.get_by_text("Toute la population :").first.wait_for(timeout=30_000)
    yield pg
    context.close()
    assert errors == [], errors


def _scatter_canvas_box(page) -> dict:
    """Bounding box of the scatter plot's canvas (the largest canvas after the histogram)."""
    boxes = [c.bounding_box() for c in page.locator("canvas").all()]
    boxes = [b for b in boxes if b and b["height"] >= 380]
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
    field = page.get_by_label("Montant du crédit", exact=True)
    original = field.input_value()
    field.fill("abc")
    field.press("Tab")
    page.get_by_text("Saisissez un nombre.").first.wait_for(timeout=10_000)
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
    expect(page.get_by_label("Montant du crédit", exact=True)).to_have_value(original, timeout=10_000)
    expect(page.get_by_text("Après modification")).to_have_count(0, timeout=10_000)


def _axe_path() -> Path | None:
    for candidate in (os.environ.get("AXE_CORE_JS"),
                      ROOT / ".ci" / "node" / "node_modules" / "axe-core" / "axe.min.js"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def test_axe_audit_of_the_panels(page):
    """No serious or critical axe-core violation, with the data tables open."""
    axe = _axe_path()
    if axe is None:
        pytest.skip("axe-core not found (AXE_CORE_JS or .ci/node/node_modules/axe-core)")
    for summary in page.locator("summary").all():
        summary.click()
    page.add_script_tag(path=str(axe))
    violations = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
                                       where: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
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
