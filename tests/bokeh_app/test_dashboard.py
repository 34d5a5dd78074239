"""Dashboard callback tests without a browser: build documents, set widget values, read models.

Most tests use tests/_fake_client.py (exact control: unknown ids, failures,
call counts); the `small_run` tests check the same behaviour on real
artefacts through the InProcessClient.
"""

from __future__ import annotations

import argparse
import html
import math
import re
import string
import urllib.request

import numpy as np
import pytest
from bokeh.document import Document
from bokeh.events import ButtonClick
from bokeh.models import Div

from bokeh_app import gauge, i18n, layout, panel_model, store, views, views_reasons
from bokeh_app.session import build_document, open_session, url_arguments
from bokeh_app.store import ClientIndex
from scoring.errors import ArtefactMissing
from scoring.model.decision import (
    RISK_LEVEL_KEYS,
    is_refused,
    risk_band_edges,
    risk_level,
)
from scoring.paths import REPO_ROOT, Paths
from scoring.service.protocol import Score
from tests._fake_client import FakeClient
from tests.browser_support import free_port, start_server, stop_server

FR_DECISIONS = {"Crédit accordé", "Crédit refusé"}
EN_DECISIONS = {"Credit granted", "Credit refused"}


@pytest.fixture()
def fake() -> FakeClient:
    return FakeClient(n=300, threshold=0.1)


def _doc(client, **kwargs):
    doc = Document()
    return doc, build_document(doc, client, **kwargs)


def _model(dash: layout.Dashboard):
    """The "about the model" section's panel, opened (and so built) if it was not yet."""
    section = dash.section("model")
    if not section.is_open:
        dash.toggle_section("model")
    return section.panel


def _texts(dash: layout.Dashboard) -> str:
    """Every piece of text the session shows (Divs, widget titles, axis labels, glyph text)."""
    model = _model(dash)
    parts = [m.text for m in dash.doc.select({"type": Div})]
    parts += [dash.client_input.title, dash.client_input.placeholder, dash.open_button.label,
              dash.size_select.title, dash.doc.title]
    parts += [s.button.label for s in dash.sections]
    for fig in (dash.contrib_fig, model.global_fig):
        parts += [fig.xaxis[0].axis_label or "", " ".join(fig.y_range.factors)]
    for source in (dash.contrib_source, model.global_source, dash.band_source, dash.mark_label_source,
                   dash.contrib_header_source):
        for key in ("factor", "value_text", "bar_text", "label", "text", "direction"):
            parts += [str(v) for v in source.data.get(key, [])]
    return "\n".join(parts)


def rem_value(size: str) -> float:
    """A Bokeh font size, which must be in rem (so the browser's own setting scales it)."""
    assert size.endswith("rem"), size
    return float(size.removesuffix("rem"))


def plain(html_text: str) -> str:
    """What a reader sees in a Div: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


def _probability(fake: FakeClient, client_id: int) -> float:
    return fake.probability(client_id)


# --------------------------------------------------------------------------- i18n

def test_fr_and_en_have_the_same_keys_and_placeholders():
    fr, en = i18n.messages("fr"), i18n.messages("en")
    assert set(fr) == set(en)
    fields = lambda s: {f for _, f, _, _ in string.Formatter().parse(s) if f}  # noqa: E731
    mismatched = {k for k in fr if fields(fr[k]) != fields(en[k])}
    assert not mismatched
    assert all(fr[k].strip() and en[k].strip() for k in fr)
    # the seven risk levels exist in both languages, with the required French words
    assert [i18n.risk_label(i, "fr") for i in range(7)] == [
        "très faible", "faible", "plutôt faible", "modéré", "plutôt élevé", "élevé", "très élevé"]
    assert len({i18n.risk_label(i, "en") for i in range(len(RISK_LEVEL_KEYS))}) == 7


def test_number_formats_follow_the_language():
    assert i18n.fmt_percent(0.1234, "fr") == "12,3\u202f%"
    assert i18n.fmt_percent(0.1234, "en") == "12.3%"
    assert i18n.fmt_number(1234567.5, "fr", 1) == "1\u202f234\u202f567,5"
    assert i18n.fmt_number(1234567.5, "en", 1) == "1,234,567.5"
    assert i18n.fmt_signed(-0.5, "fr") == "−0,50" and i18n.fmt_signed(0.5, "en") == "+0.50"
    assert i18n.fmt_points(1.0, "fr") == "1,0 point de pourcentage"
    assert i18n.fmt_points(-3.25, "en").endswith("percentage points")
    # a value that rounds to zero never shows a sign
    assert i18n.fmt_number(-0.0001, "fr", 3) == "0,000" and i18n.fmt_number(-0.4, "en") == "0"
    assert i18n.fmt_number(-0.6, "fr") == "−1"


def _score(probability: float, threshold: float) -> Score:
    return Score(7, probability, threshold, is_refused(probability, threshold),
                 risk_level(probability, threshold), "v")


def test_distance_to_the_threshold_never_contradicts_the_decision():
    """In score points, higher is safer: granted above the threshold, refused at or below it."""
    assert i18n.fmt_score(551.4, "fr") == "551 points" and i18n.fmt_score(1.2, "fr") == "1 point"
    assert i18n.fmt_score(-28.4, "en", signed=True) == "−28 points" and i18n.fmt_score(0.04, "fr", True) == "0,0 point"
    assert i18n.fmt_score(-0.26, "fr", signed=True) == "−0,3 point" and i18n.fmt_score(4.5, "en", True) == "+4.5 points"
    # a granted client a fraction of a point above is never "at the threshold"
    assert views.distance_text(_score(0.0999, 0.1), "fr") == "moins d'un point au-dessus du seuil"
    assert views.distance_text(_score(0.1, 0.1), "fr") == "au seuil (un score au seuil est refusé)"
    far = _score(0.2, 0.1)
    gap = round(far.threshold_points - far.points)
    assert gap == round(20 * math.log2(9 / 4)) == 23  # odds 9:1 -> 4:1; 20 points halve the odds
    assert views.distance_text(far, "en") == "23 points below the threshold"
    assert views.distance_text(_score(0.05, 0.1), "fr") == "22 points au-dessus du seuil"  # 19:1 vs 9:1


# --------------------------------------------------------------------------- gauge geometry

@pytest.mark.parametrize("threshold", [0.05, 0.0863, 0.3, 0.6])
def test_gauge_angles_are_monotone_and_put_the_threshold_at_the_fourth_edge(threshold):
    """Points grow to the right: 100 % (fewest points) at the left end, 0 % at the right end."""
    ps = np.linspace(0, 1, 201)
    angles = [gauge.probability_to_angle(p, threshold) for p in ps]
    assert angles[0] == pytest.approx(0.0) and angles[-1] == pytest.approx(math.pi)
    assert all(a <= b + 1e-12 for a, b in zip(angles, angles[1:]))
    assert gauge.probability_to_angle(threshold, threshold) == pytest.approx(math.pi * 4 / 7)
    # the needle lies inside the band of the client's risk level
    bands = gauge.band_data(threshold, ["x"] * 7)
    edges = risk_band_edges(threshold)
    for level in range(7):
        if edges[level + 1] > edges[level]:
            mid = (edges[level] + edges[level + 1]) / 2
            a = gauge.probability_to_angle(mid, threshold)
            assert bands["start"][level] <= a <= bands["end"][level]


# --------------------------------------------------------------------------- client switch

def test_opening_clients_updates_every_panel(fake):
    doc, dash = _doc(fake)
    assert dash.client_id is None and dash.needle_source.data["x1"] == []
    first, second = fake.ids[0], fake.ids[1]
    dash.client_input.value = str(first)
    assert dash.client_id == first
    first_factors = list(dash.contrib_source.data["factor"])

    dash.client_input.value = str(second)
    assert dash.client_id == second
    assert doc.title == f"Prêt à dépenser — Score client {second}"
    expl = fake.explanation(second, top=10)
    p = _probability(fake, second)
    # decision in words with its icon, exactly as specified
    decision = "Crédit refusé" if p >= fake.threshold else "Crédit accordé"
    icon = "✗" if p >= fake.threshold else "✓"
    assert f"{icon}</span> {decision}</p>" in dash.decision.text
    assert decision in FR_DECISIONS
    assert i18n.risk_label(expl.score.risk_level, "fr") in dash.decision.text
    # the score, the threshold and the distance in points, the probability as a fact
    score = expl.score
    assert i18n.fmt_score(score.points, "fr") in dash.decision.text
    assert i18n.fmt_score(score.threshold_points, "fr") in dash.decision.text
    assert views.distance_text(score, "fr") in html.unescape(dash.decision.text)
    assert i18n.fmt_percent(p, "fr") in dash.decision.text
    # needle at the client's probability, its score in the centre
    angle = gauge.probability_to_angle(p, fake.threshold)
    assert dash.needle_source.data["x1"][0] == pytest.approx(gauge.NEEDLE_RADIUS * math.cos(angle))
    assert dash.centre_source.data["text"] == [i18n.fmt_score(score.points, "fr")]
    # one bar per concept, in points, adding up with the starting score to the client's score
    data = dash.contrib_source.data
    assert len(data["factor"]) == len(expl.concepts) == 13 and data["factor"] != first_factors
    for k, factor, pts in zip(expl.concepts, data["factor"], data["points"]):
        assert factor == views_reasons.concept_label(k) and pts == pytest.approx(k.points)
        assert factor.endswith(views_reasons.PROTECTED_MARK) == k.protected
    assert expl.base_points + sum(data["points"]) == pytest.approx(score.points)
    assert not any("Autres facteurs" in f for f in data["factor"])
    # direction by position, sign, hatch and words, not colour only
    for pts, left, right, hatch, text, direction in zip(
            data["points"], data["left"], data["right"], data["hatch"], data["value_text"], data["direction"]):
        if pts < 0:
            assert right == 0 and left == pts and hatch != " " and text.startswith("−") and "point" not in text
            assert direction == "pousse vers le refus"
        elif pts > 0:
            assert left == 0 and right == pts and hatch == " " and text.startswith("+")
            assert direction == "pousse vers l'accord"
    # largest on top, under a header row naming both sides at zero
    assert dash.contrib_fig.y_range.factors == list(reversed(data["factor"])) + [views_reasons.HEADER_FACTOR]
    header = dash.contrib_header_source.data
    assert [h.replace("\n", " ") for h in header["text"]] == [
        "← vers le refus", "vers l'accord →"]
    assert header["x"][0] < 0 < header["x"][1] and header["align"] == ["right", "left"]
    # the principal reasons in words, and every concept openable to its features
    reasons = plain(dash.reasons_div.text)
    assert ("Principaux motifs du refus" if score.refused else "Principaux atouts du dossier") in reasons
    assert expl.principal_reasons and all(r.sentence in reasons for r in expl.principal_reasons)
    assert dash.concept_details.text.count("<details") == 13
    for k in expl.concepts:
        for f in k.features:
            assert views.esc(f.display_value) in dash.concept_details.text
    # global importance with local rank next to global rank
    g = _model(dash).global_source.data
    local = {c.feature: i + 1 for i, c in enumerate(expl.contributions)}
    for item, text in zip(sorted(expl.global_importance, key=lambda x: x.rank)[:10], g["bar_text"]):
        assert text == f"général {item.rank} · client {local.get(item.feature, '—')}"
    # profile in human units
    assert "Revenu annuel" in dash.profile_div.text and "non renseigné" in dash.profile_div.text
    assert f"Client {second} affiché" in dash.message.text


def test_every_chart_has_a_text_alternative(fake):
    _, dash = _doc(fake, client_id=fake.ids[3])
    model = _model(dash)
    for fig, alt in ((dash.gauge_fig, dash.gauge_alt), (dash.contrib_fig, dash.contrib_alt),
                     (model.global_fig, model.global_alt)):
        label = fig.html_attributes["aria-label"]
        assert fig.html_attributes["role"] == "img" and str(fake.ids[3]) in label
        assert views.esc(label) in alt.text  # the same sentence is visible
        assert "<details" in alt.text and "<table" in alt.text and "Voir les données" in alt.text
        assert '<th scope="col">' in alt.text
    # the gauge's table lists the seven levels and marks the client's
    assert dash.gauge_alt.text.count("<tr>") == 1 + 7
    assert dash.gauge_alt.text.count("← client") == 1
    # the concept table has one row per bar, then the starting score and the client's score
    assert dash.contrib_alt.text.count("<tr>") == 1 + len(dash.contrib_source.data["factor"]) + 2


def test_reasons_come_first_and_protected_ones_are_never_said(fake):
    """The reasons sentences open the "why" panel; a protected concept ranking high is skipped and
    the page says the full explanation is available on request."""
    _, dash = _doc(fake)
    withheld = refused = None
    for cid in fake.ids:
        expl = fake.explanation(cid)
        if expl.protected_withheld and withheld is None:
            withheld = cid
        if expl.score.refused and refused is None:
            refused = cid
    assert withheld is not None and refused is not None
    dash.client_input.value = str(withheld)
    expl = fake.explanation(withheld)
    assert "l'explication complète du modèle est disponible sur demande" in plain(dash.reasons_div.text)
    protected = {k.concept for k in expl.concepts if k.protected}
    assert not protected & {r.concept for r in expl.principal_reasons}
    assert dash.roots["contributions"].children.index(dash.reasons_div) == 1  # right under the heading
    dash.client_input.value = str(refused)
    items = re.findall(r"<li>(.*?)</li>", dash.reasons_div.text)
    assert 1 <= len(items) <= 4 and "Principaux motifs du refus" in dash.reasons_div.text
    # the model's overall view keeps its own length
    assert len(_model(dash).global_source.data["factor"]) == panel_model.GLOBAL_TOP


# --------------------------------------------------------------------------- bad input

def test_unknown_or_bad_client_keeps_the_view(fake):
    doc, dash = _doc(fake, client_id=fake.ids[2])
    before = (doc.title, dict(dash.contrib_source.data), dash.decision.text, dash.profile_div.text)
    calls = len(fake.calls)
    dash.client_input.value = "999999"
    assert "999999 est inconnu" in dash.message.text
    assert (doc.title, dict(dash.contrib_source.data), dash.decision.text, dash.profile_div.text) == before
    assert len(fake.calls) == calls  # rejected from the id index, the service was not asked
    dash.client_input.value = "12ab"
    assert "« 12ab » n'est pas un numéro de client" in plain(dash.message.text)
    dash.client_input.value_input = ""
    dash.client_input.value = ""
    assert "Saisissez un numéro de client" in dash.message.text
    # the button opens what is typed, even without Enter
    dash.client_input.value_input = str(fake.ids[6])
    dash.open_button._trigger_event(ButtonClick(dash.open_button))
    assert dash.client_id == fake.ids[6]
    dash.client_input.value_input = str(fake.ids[2])
    dash.open_button._trigger_event(ButtonClick(dash.open_button))
    assert dash.client_id == fake.ids[2]
    calls = len(fake.calls)
    # the service failing (e.g. HTTP API down) also keeps the view
    fake.fail_next = ConnectionError("down")
    dash.open_client(str(fake.ids[7]))
    assert "n'a pas répondu (ConnectionError)" in plain(dash.message.text)
    assert dash.client_id == fake.ids[2] and doc.title == before[0]
    # the service may still say "unknown" for an id the index knows (cache rebuilt meanwhile)
    fake.fail_next = store_unknown()
    assert dash.open_client(str(fake.ids[8])) is False and "inconnu" in dash.message.text
    assert dash.client_id == fake.ids[2]


def test_search_accepts_spaces_and_a_rejected_search_never_names_another_client(fake):
    _, dash = _doc(fake)
    # the empty page shows only the search: no half-empty panels
    assert [dash.roots[n].visible for n in ("score", "contributions", "profile")] == [False] * 3
    assert not any(s.layout.visible for s in dash.sections)
    cid = fake.ids[4]
    spaced = f"{str(cid)[:3]} {str(cid)[3:]}"  # "100 003", as it is often written
    dash.client_input.value = spaced
    assert dash.client_id == cid and dash.client_input.value == str(cid)
    assert all(dash.roots[n].visible for n in ("score", "contributions", "profile"))
    assert all(s.layout.visible for s in dash.sections)
    for bad in ("999999", "12ab", ""):
        dash.client_input.value = bad
        # the box names the client the page shows, the message says what was refused
        assert dash.client_input.value == str(cid) and dash.client_id == cid
    assert "Saisissez un numéro de client" in dash.message.text


def store_unknown():
    from scoring.service.protocol import UnknownClient

    return UnknownClient("gone")


def test_suggestions_as_you_type(fake):
    _, dash = _doc(fake)
    dash.client_input.value_input = "1"
    assert dash.client_input.completions == []
    dash.client_input.value_input = "10"
    assert len(dash.client_input.completions) == store.MAX_SUGGESTIONS
    dash.client_input.value_input = "1001"
    expected = sorted(str(i) for i in fake.ids if str(i).startswith("1001"))
    assert dash.client_input.completions == expected[:store.MAX_SUGGESTIONS]
    assert dash.client_input.completions and dash.client_input.min_characters == 3
    assert dash.client_input.restrict is False  # an unknown number reaches the clear message
    dash.client_input.value_input = "abc"
    assert dash.client_input.completions == []


def test_client_index_lookup_and_prefixes():
    index = ClientIndex([456255, 100002, 100003, 100010, 200000, 100002])
    assert len(index) == 5 and 100010 in index and 100011 not in index
    assert index.suggestions("1000") == ["100002", "100003", "100010"]
    assert index.suggestions("10001") == ["100010"]
    assert index.suggestions("100", limit=2) == ["100002", "100003"]
    assert index.suggestions("x1") == []
    with pytest.raises(ValueError):
        index.ids[0] = 1


# --------------------------------------------------------------------------- URL and missing artefacts

def test_url_arguments_are_parsed_and_bad_values_dropped():
    assert url_arguments({"client": [b"100002"], "lang": [b"en"], "text": [b"150"]}) == {
        "client_id": "100002", "lang": "en", "text_scale": 150}
    # an old bookmark's ?top= (the number of feature bars, gone with the concepts) is ignored
    assert url_arguments({"lang": [b"de"], "top": [b"7"], "text": [b"x"]}) == {}


@pytest.fixture()
def fake_store(fake):
    store.set_client_factory(lambda: fake)
    yield fake
    store.set_client_factory(None)


def test_a_client_opens_from_the_url(fake_store):
    doc = Document()
    cid = fake_store.ids[4]
    dash = open_session(doc, {"client": [str(cid).encode()], "lang": [b"en"]})
    assert isinstance(dash, layout.Dashboard) and dash.client_id == cid
    assert doc.title == f"Prêt à dépenser — Client score {cid}"
    assert doc.template_variables["lang"] == "en"
    assert dash.client_input.value == str(cid)
    doc2 = Document()
    dash2 = open_session(doc2, {"client": [b"1"]})
    assert dash2.client_id is None and "1 est inconnu" in dash2.message.text


def test_missing_artefacts_page_names_the_command():
    def missing():
        raise ArtefactMissing("no SHAP cache in /x/cache/shap (run `python main.py refresh-cache`)")

    store.set_client_factory(missing)
    try:
        doc = Document()
        div = open_session(doc, {})
    finally:
        store.set_client_factory(None)
    assert isinstance(div, Div) and [r.name for r in doc.roots] == ["controls"]
    assert "python main.py pipeline" in div.text and "no SHAP cache" in div.text
    assert "Traceback" not in div.text and doc.title == "Prêt à dépenser — Score client"


# --------------------------------------------------------------------------- language and text size

def test_language_switch_translates_everything(fake):
    doc, dash = _doc(fake, client_id=fake.ids[1])
    fr_text = _texts(dash)
    dash.lang_select.value = "en"
    en_text = _texts(dash)
    assert dash.lang == "en" and doc.title == f"Prêt à dépenser — Client score {fake.ids[1]}"
    assert any(d in dash.decision.text for d in EN_DECISIONS)
    # no French UI string is left (only strings that differ between the languages)
    french_only = {v for k, v in i18n.messages("fr").items()
                   if v != i18n.messages("en")[k] and "{" not in v and len(v) > 3}
    french_only |= {v.split("{")[0].strip() for k, v in i18n.messages("fr").items()
                    if "{" in v and len(v.split("{")[0].strip()) > 6}
    left = sorted(s for s in french_only if s in en_text)
    assert not left
    # feature labels come from the service in English too
    assert "Âge" not in en_text and ("Age" in en_text)
    assert "pushes toward refusal" in en_text and "Voir les données" not in en_text
    # the browser-side html lang attribute follows the selector
    codes = [cb.code for cb in dash.lang_select.js_property_callbacks["change:value"]]
    assert any("document.documentElement.lang = cb_obj.value" in c for c in codes)
    dash.lang_select.value = "fr"
    assert _texts(dash) == fr_text


def test_text_size_control_scales_plot_text_and_heights(fake):
    _, dash = _doc(fake, client_id=fake.ids[1])
    size = lambda: rem_value(dash.contrib_text.glyph.text_font_size)  # noqa: E731
    base_font, base_height = size(), dash.contrib_fig.height
    base_axis = rem_value(dash.contrib_fig.yaxis[0].major_label_text_font_size)
    model = _model(dash)
    base_model_height = model.global_fig.height
    dash.size_select.value = "200"
    assert size() == pytest.approx(2 * base_font)
    assert rem_value(dash.contrib_fig.yaxis[0].major_label_text_font_size) == pytest.approx(2 * base_axis)
    assert dash.contrib_fig.height > 1.8 * base_height and model.global_fig.height > 1.8 * base_model_height
    assert rem_value(model.global_text.glyph.text_font_size) == pytest.approx(2 * 13 / 16)
    # the gauge's own labels reach 200 % too, and the gauge widens to hold them
    assert rem_value(dash.gauge_labels.glyph.text_font_size) == pytest.approx(2 * 12 / 16)
    assert dash.gauge_fig.max_width == 2 * layout.GAUGE_MAX_WIDTH
    assert [o for o, _ in dash.size_select.options] == ["100", "125", "150", "200"]
    codes = [cb.code for cb in dash.size_select.js_property_callbacks["change:value"]]
    assert any("--text-scale" in c for c in codes)
    # every plot keeps a fluid width so larger text wraps instead of overflowing
    for fig in (dash.contrib_fig, model.global_fig):
        assert fig.sizing_mode == "stretch_width"
    assert dash.gauge_fig.sizing_mode == "scale_width"
    dash.size_select.value = "100"
    assert size() == base_font and dash.contrib_fig.height == base_height


# --------------------------------------------------------------------------- extra panels

class RecordingPanel:
    """A minimal extra panel: a Div that records what the dashboard tells it."""

    def __init__(self, client, lang, fail=False):
        self.layout = Div(text="extra")
        self.calls = [("init", lang)]
        self.fail = fail

    def _record(self, call):
        self.calls.append(call)
        if self.fail:
            raise RuntimeError("panel bug")

    def set_client(self, client_id):
        self._record(("client", client_id))

    def set_language(self, lang):
        self._record(("lang", lang))

    def set_text_scale(self, scale):
        self._record(("scale", scale))


def test_sections_are_built_only_when_opened_then_follow_the_page(fake):
    made = []

    def factory(client, lang):
        made.append(RecordingPanel(client, lang, fail=bool(made)))  # the second one always fails
        return made[-1]

    doc, dash = _doc(fake, sections=[("compare", factory), ("whatif", factory)], text_scale=150)
    names = [r.name for r in doc.roots]
    assert names[-3:] == ["section_compare", "section_whatif", "section_model"]
    dash.client_input.value = str(fake.ids[3])
    assert made == []  # nothing is built (nor sent) before the advisor opens a section
    assert all(not s.content.children and not s.content.visible for s in dash.sections)
    assert dash.section("compare").button.label == "▸ Comparer le client avec d'autres clients (afficher)"
    dash.section("compare").button._trigger_event(ButtonClick(dash.section("compare").button))
    assert len(made) == 1 and dash.section("compare").content.children == [made[0].layout]
    assert dash.section("compare").button.label.startswith("▾ ") and "(masquer)" in dash.section("compare").button.label
    assert made[0].calls == [("init", "fr"), ("scale", 1.5), ("client", fake.ids[3])]
    dash.toggle_section("whatif")  # its panel fails on every call: the page says so and carries on
    assert made[1].calls == [("init", "fr"), ("scale", 1.5)]
    assert not dash.section("whatif").is_open and "(RuntimeError)" in dash.message.text
    dash.lang_select.value = "en"
    dash.size_select.value = "200"
    assert made[0].calls[3:] == [("lang", "en"), ("scale", 2.0)]
    assert dash.client_id == fake.ids[3] and dash.lang == "en"
    # closing keeps the panel: reopening builds nothing new
    dash.toggle_section("compare")
    assert not dash.section("compare").content.visible and "(show)" in dash.section("compare").button.label
    dash.toggle_section("compare")
    assert len(made) == 2 and dash.section("compare").content.visible


# --------------------------------------------------------------------------- session isolation

def _ids(doc: Document) -> set[str]:
    return {m.id for m in doc.models}


def test_two_sessions_are_isolated(fake):
    index = ClientIndex(fake.client_ids())
    ids_before, text_before = index.ids.copy(), index.text.copy()
    doc_a, a = _doc(fake, index=index, client_id=fake.ids[0])
    doc_b, b = _doc(fake, index=index, client_id=fake.ids[0])
    assert not (_ids(doc_a) & _ids(doc_b))  # no Bokeh model is shared
    snapshot = (dict(b.contrib_source.data), dict(_model(b).global_source.data), b.decision.text, doc_b.title,
                b.contrib_text.glyph.text_font_size, b.lang, b.reasons_div.text)
    a.client_input.value = str(fake.ids[9])
    a.lang_select.value = "en"
    a.size_select.value = "150"
    a.toggle_section("model")
    assert a.client_id == fake.ids[9]
    assert (dict(b.contrib_source.data), dict(_model(b).global_source.data), b.decision.text, doc_b.title,
            b.contrib_text.glyph.text_font_size, b.lang, b.reasons_div.text) == snapshot
    # the shared index is unchanged and cannot be written
    assert np.array_equal(index.ids, ids_before) and np.array_equal(index.text, text_before)
    assert not index.ids.flags.writeable and not index.text.flags.writeable


def test_a_closed_session_is_released(fake):
    import gc
    import weakref

    from bokeh_app import app_hooks

    doc, dash = _doc(fake, client_id=fake.ids[0])
    dash.toggle_section("model")
    gone = weakref.ref(dash)

    def subscriber(event):  # stands for the server session subscribed to the document
        pass

    gc.disable()  # only the hook may collect the session's reference cycles
    try:
        doc.on_change(subscriber)
        doc.destroy(subscriber)  # what the server does to a discarded session's document
        del doc, dash
        assert gone() is not None  # cycles: not freed by reference counting alone
        app_hooks.on_session_destroyed(None)
    finally:
        gc.enable()
    assert gone() is None  # nothing outside the session kept its dashboard alive
    assert app_hooks.release_free_heap() is True  # glibc: the freed heap goes back to the system


def test_a_session_never_holds_a_shared_array(fake):
    index = ClientIndex(fake.client_ids())
    _, dash = _doc(fake, index=index, client_id=fake.ids[0])
    dash.client_input.value_input = "100"
    for source in dash.doc.select({"type": layout.ColumnDataSource}):
        for column in source.data.values():
            assert column is not index.ids and column is not index.text


# --------------------------------------------------------------------------- real artefacts

def test_real_run_through_the_inprocess_client(small_run: Paths):
    from scoring.service.inprocess import InProcessClient

    client = InProcessClient(small_run)
    ids = client.client_ids()
    doc, dash = _doc(client, client_id=ids[0])
    score = client.score(ids[0])
    expl = client.explanation(ids[0], top=10, lang="fr")
    words = "Crédit refusé" if score.probability >= score.threshold else "Crédit accordé"
    assert words in dash.decision.text and f"Score client {ids[0]}" in doc.title
    assert dash.contrib_source.data["points"] == pytest.approx([k.points for k in expl.concepts])
    total = expl.base_points + sum(dash.contrib_source.data["points"])
    assert total == pytest.approx(score.points, abs=1e-6)  # every concept: nothing left over
    facts = client.profile(ids[0], lang="fr")["facts"]
    assert all(views.esc(f["label"]) in dash.profile_div.text for f in facts)
    # English labels come from the catalogue through the client
    dash.lang_select.value = "en"
    expl_en = client.explanation(ids[0], top=10, lang="en")
    assert dash.contrib_source.data["factor"][0] == views_reasons.concept_label(expl_en.concepts[0])
    assert all(r.sentence in html.unescape(dash.reasons_div.text) for r in expl_en.principal_reasons)
    # switching through several real clients keeps the panels consistent
    for cid in ids[1:6]:
        dash.client_input.value = str(cid)
        assert dash.client_id == cid and str(cid) in dash.gauge_fig.html_attributes["aria-label"]


def test_the_http_client_shows_the_same_page(small_run: Paths, tmp_path, monkeypatch):
    """SCORING_API_URL selects HttpClient; over the API the panels equal the in-process ones."""
    from fastapi.testclient import TestClient

    from scoring.api.app import create_app
    from scoring.service.http import HttpClient
    from scoring.service.inprocess import InProcessClient
    from scoring.service.prediction_log import PredictionLog

    monkeypatch.setenv(store.ENV_API_URL, "http://127.0.0.1:9")
    chosen = store.default_client_factory()
    assert isinstance(chosen, HttpClient) and chosen.base_url == "http://127.0.0.1:9"
    chosen.close()

    inproc = InProcessClient(small_run, prediction_log=PredictionLog(tmp_path / "log.sqlite"))
    with TestClient(create_app(small_run, inproc)) as http:
        remote = HttpClient(http=http)
        cid = inproc.client_ids()[7]
        _, a = _doc(inproc, client_id=cid)
        _, b = _doc(remote, client_id=cid)
        assert b.client_id == cid
        for name in ("contrib_source", "global_source", "needle_source", "band_source"):
            owner_a, owner_b = (_model(a), _model(b)) if name == "global_source" else (a, b)
            da, db = getattr(owner_a, name).data, getattr(owner_b, name).data
            assert da.keys() == db.keys()
            for key in da:
                expected, got = list(da[key]), list(db[key])
                if expected and isinstance(expected[0], float):
                    assert got == pytest.approx(expected), (name, key)
                else:
                    assert got == expected, (name, key)
        assert (a.decision.text, a.profile_div.text) == (b.decision.text, b.profile_div.text)
        b.client_input.value = "999999999"
        assert "999999999 est inconnu" in b.message.text and b.client_id == cid


# --------------------------------------------------------------------------- serving

def test_serve_command_passes_paths_and_origins(tmp_path):
    from scoring.cli.serving import serve_command

    args = argparse.Namespace(port=5123, host="127.0.0.1", allow_websocket_origin=["example.org:80"],
                              num_procs=2, show=False)
    argv, env = serve_command(args, Paths(data_dir=tmp_path / "d", cache_dir=tmp_path / "c"))
    assert argv[1:5] == ["-m", "bokeh", "serve", str(REPO_ROOT / "bokeh_app")]
    joined = " ".join(argv)
    assert "--port 5123" in joined and "--address 127.0.0.1" in joined and "--num-procs 2" in joined
    origins = [argv[i + 1] for i, a in enumerate(argv) if a == "--allow-websocket-origin"]
    assert origins == ["127.0.0.1:5123", "localhost:5123", "example.org:80"]
    assert env["SCORING_DATA_DIR"] == str((tmp_path / "d").resolve())
    assert env["SCORING_CACHE_DIR"] == str((tmp_path / "c").resolve())
    assert "--show" not in argv


def test_served_page_without_artefacts_says_which_command_builds_them(run_paths: Paths):
    from bokeh.client import pull_session

    port = free_port()
    proc = start_server(run_paths, port)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/bokeh_app", timeout=30) as r:
            page = r.read().decode("utf-8")
        with pull_session(url=f"http://127.0.0.1:{port}/bokeh_app") as session:
            texts = [m.text for m in session.document.select({"type": Div})]
            title = session.document.title
    finally:
        stop_server(proc)
    assert '<html lang="fr" ' in page and "<title>Prêt à dépenser — Score client</title>" in page
    assert re.search(r'href="/bokeh_app/static/css/dashboard.css"', page)
    assert title == "Prêt à dépenser — Score client"
    shown = plain(" ".join(texts))
    assert "python main.py pipeline" in shown and "Traceback" not in shown


def test_protected_attributes_are_marked_in_the_explanation(small_run):
    """Age, gender or family may weigh in the score: their concepts are marked, drawn apart and never
    given as a reason, and the page says when one was left out."""
    from bokeh_app import palette
    from scoring.service.inprocess import InProcessClient

    client = InProcessClient(small_run)
    try:
        expl = next(e for e in (client.explanation(cid, top=1) for cid in client.client_ids()[:300])
                    if e.protected_withheld)
        view = views_reasons.concepts_view(expl, "fr")
        for k, factor, colour in zip(expl.concepts, view["data"]["factor"], view["data"]["colour"]):
            assert (views_reasons.PROTECTED_MARK in factor) == k.protected
            assert (colour == palette.OTHER_FACTORS) == k.protected
        reasons = views_reasons.reasons_html(expl, "fr")
        assert "disponible sur demande" in reasons
        assert not any(k.label in reasons for k in expl.concepts if k.protected)
    finally:
        client.close()
