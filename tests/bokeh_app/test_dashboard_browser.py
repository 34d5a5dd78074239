"""The dashboard in a real browser: Playwright driving Debian's chromium against `bokeh serve`.

Skipped when /usr/bin/chromium is absent; the accessibility audit also needs
axe-core (env AXE_CORE_JS or .ci/node/node_modules/axe-core/axe.min.js).
Screenshots are kept in tests/artifacts/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import re

import pytest

from scoring.paths import REPO_ROOT, Paths
from tests.browser_support import CHROMIUM, page_in, serious_axe_violations

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not installed")]
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"
#: The deepest focused element (Bokeh widgets live in shadow roots) and its outline.
FOCUSED_JS = """() => {
  let e = document.activeElement;
  while (e && e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement;
  const s = getComputedStyle(e);
  return {tag: e.tagName, style: s.outlineStyle, width: parseFloat(s.outlineWidth), colour: s.outlineColor};
}"""


@pytest.fixture(scope="module")
def server(dashboard_server: str) -> str:
    return dashboard_server


@pytest.fixture(scope="module")
def browser(server, chromium):
    return chromium


@pytest.fixture()
def page(browser):
    with page_in(browser, viewport={"width": 1280, "height": 900}, locale="fr-FR") as pg:
        yield pg


@pytest.fixture(scope="module")
def known_clients(small_run: Paths):
    from scoring.service.inprocess import InProcessClient

    client = InProcessClient(small_run)
    ids = client.client_ids()
    return client, ids


def open_client(page, server: str, client_id: int) -> None:
    page.goto(server)
    field = page.get_by_label("Numéro de client")
    field.fill(str(client_id))
    field.press("Enter")
    page.wait_for_function(f"document.title.endsWith('{client_id}')", timeout=20_000)


def test_page_opens_a_client_and_switches_language(page, server, known_clients):
    client, ids = known_clients
    page.goto(server)
    assert page.title() == "Prêt à dépenser — Score client"
    assert page.evaluate("document.documentElement.lang") == "fr"
    cid = ids[3]
    open_client(page, server, cid)
    score = client.score(cid)
    decision = "Crédit refusé" if score.refused else "Crédit accordé"
    icon = "✗" if score.refused else "✓"
    assert page.title() == f"Prêt à dépenser — Score client {cid}"
    decision_p = page.locator("p.decision")
    decision_p.wait_for()
    assert decision_p.inner_text().split() == [icon, *decision.split()]
    gauge = page.locator("[role=img]").first
    label = gauge.get_attribute("aria-label")
    assert label.startswith(f"Jauge : le score du client {cid} est de {round(score.points)} points")
    probability = f"{score.probability * 100:.1f}".replace(".", ",")
    assert probability in label
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard_fr.png"), full_page=True)

    page.get_by_label("Langue").select_option(label="English")
    page.wait_for_function("document.documentElement.lang === 'en'", timeout=20_000)
    page.wait_for_function(f"document.title === 'Prêt à dépenser — Client score {cid}'", timeout=20_000)
    expected = "Credit refused" if score.refused else "Credit granted"
    page.locator("p.decision").filter(has_text=expected).wait_for(timeout=20_000)
    assert page.locator("p.decision").inner_text().split() == [icon, *expected.split()]
    assert page.get_by_label("Client number").is_visible()
    page.screenshot(path=str(ARTIFACTS / "dashboard_en.png"), full_page=True)


def test_suggestions_appear_while_typing(page, server, known_clients):
    _, ids = known_clients
    target = str(ids[5])
    page.goto(server)
    field = page.get_by_label("Numéro de client")
    field.press_sequentially(target[:4], delay=250)
    item = page.locator(".bk-menu").get_by_text(target, exact=True)
    item.wait_for(timeout=20_000)
    item.click()
    page.wait_for_function(f"document.title.endsWith('{target}')", timeout=20_000)


def test_client_from_url_and_unknown_client_message(page, server, known_clients):
    _, ids = known_clients
    page.goto(f"{server}?client={ids[0]}&lang=en&text=150")
    page.locator("p.decision").wait_for(timeout=20_000)
    assert page.title() == f"Prêt à dépenser — Client score {ids[0]}"
    scale = "getComputedStyle(document.documentElement).getPropertyValue('--text-scale').trim()"
    assert page.evaluate(scale) == "1.5"
    assert page.get_by_label("Text size").evaluate("e => e.selectedOptions[0].textContent") == "150 %"
    assert page.evaluate("document.documentElement.lang") == "en"
    field = page.get_by_label("Client number")
    field.fill("999999999")
    field.press("Enter")
    status = page.locator("[role=status]")
    status.get_by_text(re.compile("999999999 is unknown")).wait_for(timeout=20_000)
    assert page.title().endswith(str(ids[0]))  # the view was kept


def test_text_at_200_percent_reflows_without_horizontal_scrolling(page, server, known_clients):
    _, ids = known_clients
    open_client(page, server, ids[1])
    page.get_by_label("Taille du texte").select_option(label="200 %")
    page.wait_for_function(
        "getComputedStyle(document.documentElement).getPropertyValue('--text-scale').trim() === '2'",
        timeout=20_000)
    page.wait_for_timeout(500)
    # widget text doubled (16 px -> 32 px) and nothing overflows sideways
    size = page.get_by_label("Numéro de client").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size == pytest.approx(32, abs=1)
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1]
    # panels now stack in one column (their left edges line up)
    lefts = page.evaluate("[...document.querySelectorAll('main .panel-box')]"
                          ".map(e => e.getBoundingClientRect().left)")
    assert len(lefts) >= 4 and len(set(round(x) for x in lefts)) == 1
    page.screenshot(path=str(ARTIFACTS / "dashboard_fr_200.png"), full_page=True)


def test_every_control_is_reachable_by_keyboard_with_a_visible_focus(page, server, known_clients):
    _, ids = known_clients
    page.goto(f"{server}?client={ids[2]}")  # nothing focused yet: Tab starts at the top
    page.locator("p.decision").wait_for(timeout=20_000)
    page.locator("summary").last.wait_for(timeout=20_000)
    seen = []
    for _ in range(9):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED_JS)
        seen.append(focused["tag"])
        assert focused["style"] == "solid" and focused["width"] >= 2, focused
    assert seen[:5] == ["A", "INPUT", "BUTTON", "SELECT", "SELECT"]
    assert "SUMMARY" in seen  # the "Voir les données" tables open from the keyboard
    # the language selector works from the keyboard alone
    page.get_by_label("Langue").focus()
    page.keyboard.press("ArrowDown")
    page.wait_for_function("document.documentElement.lang === 'en'", timeout=20_000)


def test_axe_audit_has_no_serious_or_critical_violation(page, server, known_clients):
    _, ids = known_clients
    open_client(page, server, ids[4])
    page.locator("summary").first.click()  # audit an open data table too
    bad = serious_axe_violations(page)
    assert not bad, bad


# --------------------------------------------------------------------------- advisor first

#: The deepest focused element, through Bokeh's shadow roots.
ACTIVE_JS = """() => { let e = document.activeElement;
  while (e && e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement;
  return {tag: e.tagName, id: e.id, label: e.labels && e.labels[0] ? e.labels[0].innerText : null}; }"""


def test_first_screen_holds_the_decision_and_its_reasons(browser, server, known_clients):
    """At 1366x768, without scrolling: the decision and the principal reasons as sentences."""
    client, ids = known_clients
    refused = next(i for i in ids if client.score(i).refused)
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="fr-FR")
    page = context.new_page()
    try:
        page.goto(f"{server}?client={refused}")
        decision = page.locator("p.decision")
        decision.wait_for(timeout=20_000)
        box = decision.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 768
        reasons = page.locator("ol.reasons > li")
        reasons.first.wait_for(timeout=20_000)
        expected = client.explanation(refused, top=1, lang="fr").principal_reasons
        assert reasons.count() == len(expected) and 1 <= len(expected) <= 4
        assert [r.sentence for r in expected][0] in reasons.first.inner_text()
        first = reasons.first.bounding_box()
        assert first["y"] >= 0 and first["y"] + first["height"] <= 768, first
        assert page.get_by_text("Principaux motifs du refus").is_visible()
        page.screenshot(path=str(ARTIFACTS / "first_screen_1366x768.png"))
    finally:
        context.close()


def test_a_concept_opens_from_the_keyboard(page, server, known_clients):
    """Each concept of the chart opens (Enter on its summary) to its features and the client's values."""
    client, ids = known_clients
    open_client(page, server, ids[2])
    expl = client.explanation(ids[2], top=1, lang="fr")
    concept = next(k for k in expl.concepts if k.features)
    summary = page.locator("details.concept > summary").filter(has_text=concept.label).first
    summary.focus()
    page.keyboard.press("Enter")
    table = page.locator("details.concept[open] table")
    table.first.wait_for(timeout=20_000)
    assert concept.features[0].label in table.first.inner_text()
    assert concept.features[0].display_value.replace("\u202f", " ") in table.first.inner_text().replace(
        "\u202f", " ")


def test_a_section_not_opened_sent_nothing(page, server, known_clients):
    _, ids = known_clients
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(
        payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload)))
    response = page.goto(f"{server}?client={ids[6]}")
    page.locator("p.decision").wait_for(timeout=20_000)
    page.wait_for_timeout(500)
    sent = response.text() + "".join(frames)  # the page (it carries the document) and the websocket
    # (ASCII markers: the document travels as JSON, where accented letters are escaped)
    assert "decision-" in sent and "Pourquoi ce score" in sent  # the first screen was sent ...
    for words in ("Groupe de comparaison", "Toute la population", "Simulation", "Importance g"):
        assert words not in sent  # ... and none of the sections' contents
    assert page.locator("[role=img]").count() == 2  # the gauge and the reasons, no section chart
    page.get_by_role("button", name="▸ Comparer le client avec d'autres clients (afficher)").click()
    page.get_by_text("Groupe de comparaison").first.wait_for(timeout=20_000)
    assert "Groupe de comparaison" in "".join(frames)  # opened: now it is sent, and only it
    assert "Toute la population" not in "".join(frames)


def test_the_browser_font_size_setting_scales_the_text(browser, server, known_clients, tmp_path):
    """Chromium's own "font size" preference (16 px by default) reaches every text."""
    import json

    from tests.browser_support import LAUNCH_ARGS

    _, ids = known_clients
    sizes = {}
    if True:  # one persistent profile per preference, on the module's Playwright
        for default in (16, 32):
            profile = tmp_path / f"profile{default}"
            (profile / "Default").mkdir(parents=True)
            (profile / "Default" / "Preferences").write_text(
                json.dumps({"webkit": {"webprefs": {"default_font_size": default}}}))
            context = browser.browser_type.launch_persistent_context(
                str(profile), executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True,
                viewport={"width": 1366, "height": 900})
            try:
                page = context.new_page()
                page.goto(f"{server}?client={ids[1]}")
                page.locator("p.decision").wait_for(timeout=20_000)
                sizes[default] = {
                    "decision": page.locator("p.decision").evaluate("e => parseFloat(getComputedStyle(e).fontSize)"),
                    "input": page.get_by_label("Numéro de client").evaluate(
                        "e => parseFloat(getComputedStyle(e).fontSize)"),
                }
            finally:
                context.close()
    for part in ("decision", "input"):
        assert sizes[32][part] == pytest.approx(2 * sizes[16][part], rel=0.02), sizes


def test_focus_survives_the_language_switch(page, server, known_clients):
    _, ids = known_clients
    page.goto(f"{server}?client={ids[2]}")
    page.locator("p.decision").wait_for(timeout=20_000)
    select = page.get_by_label("Langue · Language")
    select.focus()
    page.keyboard.press("ArrowDown")  # Français -> English, from the keyboard alone
    page.locator("p.decision").filter(has_text="Credit").wait_for(timeout=20_000)
    page.wait_for_timeout(300)
    focused = page.evaluate(ACTIVE_JS)
    assert focused["tag"] == "SELECT" and focused["label"] == "Langue · Language", focused


def test_the_skip_link_moves_focus_to_the_decision(page, server, known_clients):
    _, ids = known_clients
    page.goto(f"{server}?client={ids[3]}")
    page.locator("p.decision").wait_for(timeout=20_000)
    page.keyboard.press("Tab")
    assert page.evaluate(ACTIVE_JS)["tag"] == "A"
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'decision'",
                           timeout=5_000)
