"""The HTML report opens in Debian's chromium with no console error and shows its content."""

from __future__ import annotations

import pytest

from tests.browser_support import CHROMIUM

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not installed")]


def test_report_opens_without_console_errors(synthetic_run, chromium) -> None:
    results, paths, _ = synthetic_run
    page = chromium.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(paths["html"].as_uri())
        page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0"
                               " && Bokeh.documents[0].roots().length > 0", timeout=20_000)
        page.wait_for_selector("#results", timeout=20_000)
        table = page.inner_text("#results")
        page.wait_for_timeout(500)  # let every plot render before reading the console
    finally:
        page.close()
    assert errors == []
    for m in results.methods:
        assert m.label in table
    assert "earlier work" in table
