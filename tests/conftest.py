"""Shared fixtures: the real sample rows (skipped when absent) and paths for a run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scoring.paths import Paths
from tests.realdata import REAL_SAMPLES, REALDATA


@pytest.fixture(scope="session")
def realdata_dir() -> Path:
    """The folder of real Home Credit sample rows; tests using it skip when it is absent."""
    if not all((REALDATA / f).is_file() for f in REAL_SAMPLES.values()):
        pytest.skip(f"real sample rows not found in {REALDATA}")
    return REALDATA


@pytest.fixture()
def run_paths(tmp_path: Path) -> Paths:
    """An empty data and cache root for one test, outside the checkout."""
    return Paths(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Paths:
    """A complete small run (data, features, model, SHAP cache) built once per test session.

    Tests that need real artefacts (dashboard, API, cache reader) share it
    read-only; a test that must modify artefacts copies it first.
    """
    from scoring.cli.pipeline import run_pipeline

    root = tmp_path_factory.mktemp("small_run")
    paths = Paths(data_dir=root / "data", cache_dir=root / "cache")
    run_pipeline(paths, clients=4000, new_clients=600, seed=11, fast=True)
    return paths


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """Debian's headless chromium driven by Playwright, for one browser-test module at a time
    (closed after it, so no Playwright loop outlives the module); the modules skip without it."""
    from tests.browser_support import CHROMIUM, LAUNCH_ARGS

    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def dashboard_server(small_run: Paths) -> Iterator[str]:
    """One `bokeh serve bokeh_app` over the session's small run, shared by the browser tests."""
    from tests.browser_support import free_port, start_server, stop_server

    port = free_port()
    proc = start_server(small_run, port)
    try:
        yield f"http://127.0.0.1:{port}/bokeh_app"
    finally:
        stop_server(proc)
