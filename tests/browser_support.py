"""Helpers shared by the tests that serve the dashboard and drive it in a real browser."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.localserver import free_port, start_dashboard, stop
from scoring.paths import REPO_ROOT, Paths

__all__ = ["CHROMIUM", "LAUNCH_ARGS", "axe_path", "free_port", "page_in", "serious_axe_violations", "start_server", "stop_server"]

CHROMIUM = Path("/usr/bin/chromium")
#: Debian's chromium, headless, as root, on a machine without outside network.
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


def axe_path() -> Path | None:
    for candidate in (os.environ.get("AXE_CORE_JS"),
                      REPO_ROOT / ".ci" / "node" / "node_modules" / "axe-core" / "axe.min.js"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def start_server(paths: Paths, port: int) -> subprocess.Popen:
    """`bokeh serve bokeh_app` from the repo root, on loopback, with the run's artefacts."""
    return start_dashboard(paths, port, stderr=subprocess.PIPE, timeout=60)


stop_server = stop



@contextmanager
def page_in(browser: Any, **context_options: Any) -> Iterator[Any]:
    """A page in a fresh browser context (no shared cache or cookies); the test fails on any
    JavaScript error the page raised."""
    context = browser.new_context(**context_options)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"JavaScript errors: {errors}"


def serious_axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it stands (the test skips
    when axe-core is not installed)."""
    import pytest

    axe = axe_path()
    if axe is None:
        pytest.skip("axe-core not found (set AXE_CORE_JS or run npm install --prefix .ci/node axe-core@4)")
    page.add_script_tag(path=str(axe))
    violations = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
                                       where: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    return [v for v in violations if v["impact"] in ("serious", "critical")]
