"""The monitoring section and the standalone HTML report: built from a snapshot, worded in FR/EN,
every chart with its text alternatives; the report opens in chromium without a console error."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from bokeh.document import Document
from bokeh.models import Div
from bokeh.plotting import figure as Figure  # noqa: N812 - the figure class

from bokeh_app.i18n import t
from bokeh_app.monitoring_report import report_html
from bokeh_app.panel_monitoring import MonitoringPanel, MonitoringView
from tests.browser_support import CHROMIUM, axe_path, page_in, serious_axe_violations
from tests.monitoring_support import constructed_snapshot


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return constructed_snapshot(tmp_path_factory.mktemp("monitoring"))


class _Client:
    def __init__(self, snapshot: dict | None = None, fail: bool = False):
        self.snapshot, self.fail = snapshot, fail

    def monitoring(self) -> dict | None:
        if self.fail:
            raise RuntimeError("API down")
        return self.snapshot


def _texts(view: MonitoringView) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", c.text)) for c in view.children if isinstance(c, Div))


def test_every_chart_has_a_summary_its_accessible_name_and_a_table(snapshot: dict) -> None:
    view = MonitoringView(snapshot, "fr")
    figures = [c for c in view.children if isinstance(c, Figure)]
    # one chart per grouping, the score and three drifting inputs, the daily and weekly series
    assert len(figures) == 3 + 4 + 2 == len(view.figures)
    for fig in figures:
        label = fig.html_attributes["aria-label"]
        assert fig.html_attributes["role"] == "img" and label
        after = view.children[view.children.index(fig) + 1]
        assert label in html.unescape(after.text)
        assert "<table" in after.text and "<caption>" in after.text
    text = _texts(view)
    assert "Équité entre groupes protégés" in text and "Dérive des clients entrants" in text
    assert "Genre" in text and "Tranche d'âge" in text and "Situation familiale" in text
    assert "moins de 25 ans" in text and "Femme" in text  # groups in words, not codes
    assert "monitoring." not in text and "__missing__" not in text


def test_english_and_text_size_rebuild_the_section(snapshot: dict) -> None:
    panel = MonitoringPanel(_Client(snapshot), "fr")
    doc = Document()
    doc.add_root(panel.layout)
    panel.set_language("en")
    text = _texts(panel.view)
    assert "Fairness between protected groups" in text and "Équité" not in text
    assert "Female" in text and "under 25 years" in text
    panel.set_text_scale(2.0)
    fig = panel.view.figures[0]
    assert fig.xaxis[0].axis_label_text_font_size == "1.75rem"  # 14 px at 200 %
    panel.set_client(100_001)  # the snapshot is about every client: nothing to refetch


def test_alarms_findings_and_policy_are_said_in_words(snapshot: dict) -> None:
    shifted = {**snapshot, "alarms": {"drift": [{"feature": "AMT_INCOME_TOTAL", "psi": 0.41}],
                                      "fairness": snapshot["alarms"]["fairness"]}}
    text = _texts(MonitoringView(shifted, "fr"))
    assert "⚠ Alerte de dérive : Revenu annuel (PSI 0,41)." in text
    assert "Genre. Ce modèle ne les utilise pas" in text
    used = {**snapshot, "policy": {**snapshot["policy"], "excluded_inputs_used": ["CODE_GENDER"]}}
    assert "⚠ Ce modèle utilise des variables exclues par principe : Genre" in _texts(MonitoringView(used, "fr"))


def test_without_a_snapshot_or_with_a_failing_service_the_section_says_so() -> None:
    assert t("monitoring.none", "fr") in _texts(MonitoringPanel(_Client(None), "fr").view)
    failing = MonitoringPanel(_Client(fail=True), "en")
    assert t("monitoring.error", "en") in _texts(failing.view) and failing.error


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium not installed at /usr/bin/chromium")
def test_the_html_report_opens_without_console_errors(snapshot: dict, tmp_path: Path, chromium) -> None:
    lang = "en"  # French is the section's default, checked above; the report in English here
    report = tmp_path / "report.html"
    report.write_text(report_html(snapshot, lang), encoding="utf-8")
    console: list[str] = []
    with page_in(chromium, viewport={"width": 1280, "height": 1600}) as page:
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
        page.goto(report.as_uri(), wait_until="load")
        charts = page.locator("[role=img]")
        charts.first.wait_for(timeout=30_000)
        page.wait_for_timeout(500)
        labels = [charts.nth(i).get_attribute("aria-label") for i in range(charts.count())]
        assert page.evaluate("document.documentElement.lang") == lang
        assert page.title() == t("monitoring.report_title", lang)
        summary = page.locator("p.chart-summary")
        shown = [summary.nth(i).inner_text() for i in range(summary.count())]
        assert len(labels) == 9 and all(labels)
        assert all(any(label in s for s in shown) for label in labels)  # the same words, visible
        page.get_by_text(t("show_data", lang)).first.click()
        assert page.locator("table.data-table").first.is_visible()
        if axe_path() is not None:
            assert serious_axe_violations(page) == []
    assert console == []
