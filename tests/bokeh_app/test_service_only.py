"""The dashboard talks to scoring only through the ScoringClient: every section works over a
remote API with no artefact on the dashboard's side.

(a) Import boundary: the dashboard's modules import from `scoring` only the protocol and the
text functions (plus the client classes in store.py and a few documented exceptions).
(b) A live API in its own process over the session's small run; the dashboard process has an
empty data dir and is forbidden to read any table: every section opens and works.
"""

from __future__ import annotations

import ast
import html
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from bokeh.document import Document

from scoring.paths import REPO_ROOT, Paths
from tests.browser_support import free_port

APP_DIR = REPO_ROOT / "bokeh_app"
#: What any dashboard module may import from scoring.
ALLOWED = ("scoring.service.protocol", "scoring.text")
#: What a given module may import besides (store.py builds the clients).
PER_MODULE = {
    "store.py": {"scoring.paths", "scoring.service.http", "scoring.service.inprocess"},
    "i18n_tools.py": {"scoring.progress"},  # the catalogue maintenance command, not the served app
    # the sign-in: who is signed in (the users file of the run), the failed-attempt limit
    "account.py": {"scoring.paths", "scoring.security.files", "scoring.security.users", "scoring.security.web"},
    "auth.py": {"scoring.security.limiter", "scoring.security.users"},
}
#: Documented exceptions, allowed everywhere: small pure modules shared on purpose.
SHARED = {
    "scoring.errors",  # UserError: its message is shown on the page
}


def _scoring_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names
                                      if node.module == "scoring" or node.module.endswith(".service")}
    return {name for name in found if name == "scoring" or name.startswith("scoring.")}


def _allowed(name: str, module: str) -> bool:
    if any(name == a or name.startswith(a + ".") for a in ALLOWED):
        return True
    return name in SHARED or name in PER_MODULE.get(module, set())


def test_the_dashboard_imports_only_the_protocol_and_the_text_functions():
    offenders = {}
    for path in sorted(APP_DIR.glob("*.py")):
        bad = sorted(n for n in _scoring_imports(path) if not _allowed(n, path.name))
        if bad:
            offenders[path.name] = bad
    assert offenders == {}
    # the population sections in particular: protocol only (no population, no store, no paths)
    for name in ("panels.py", "panels_common.py", "panels_compare.py", "panels_scatter.py",
                 "panels_whatif.py"):
        assert _scoring_imports(APP_DIR / name) <= {"scoring.service.protocol", "scoring.text.catalogue"}, name


def test_the_boundary_check_sees_every_form_of_import(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text("import scoring.service.population\nfrom scoring.service import inprocess\n"
                      "from scoring.text.catalogue import label\n"
                      "def f():\n    from scoring.explain.shap_cache import ShapStore\n")
    names = _scoring_imports(sample)
    assert {"scoring.service.population", "scoring.service.inprocess",
            "scoring.explain.shap_cache"} <= names
    assert not _allowed("scoring.service.inprocess", "panels.py")
    assert _allowed("scoring.service.inprocess", "store.py") and _allowed("scoring.text.catalogue", "x.py")


# --------------------------------------------------------------------------- a live API elsewhere


@pytest.fixture(scope="module")
def api_url(small_run: Paths, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`uvicorn scoring.api.app:app_from_env` in its own process over the small run."""
    port = free_port()
    log = tmp_path_factory.mktemp("remote_api") / "predictions.sqlite"
    env = dict(os.environ) | small_run.to_env() | {"SCORING_PREDICTION_LOG": str(log), "SCORING_API_DEV": "1"}
    env.pop("SCORING_API_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "scoring.api.app:app_from_env", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the API exited: {proc.stderr.read().decode(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    if json.load(response)["status"] == "ok":
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the API did not start within 120 s") from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture()
def remote_dashboard(api_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A session document served with SCORING_API_URL set, over an empty local data dir, in a
    process where reading any table or opening a SHAP store fails the test."""
    import polars as pl

    from bokeh_app import store
    from bokeh_app.layout import Dashboard
    from bokeh_app.session import open_session
    from scoring.explain import shap_cache

    empty = Paths(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    monkeypatch.setenv("SCORING_DATA_DIR", str(empty.data_dir))
    monkeypatch.setenv("SCORING_CACHE_DIR", str(empty.cache_dir))
    monkeypatch.setenv(store.ENV_API_URL, api_url)

    def forbidden(*args, **kwargs):
        raise AssertionError("the dashboard read a local artefact")

    for name in ("read_parquet", "scan_parquet", "read_csv", "scan_csv"):
        monkeypatch.setattr(pl, name, forbidden)
    monkeypatch.setattr(shap_cache.ShapStore, "open", classmethod(forbidden))
    store.set_client_factory(None)  # the default factory, reading the environment
    try:
        ids = store.shared().client.client_ids()
        client_id = ids[len(ids) // 3]
        doc = Document()
        dash = open_session(doc, {"client": [str(client_id).encode()]})
        assert isinstance(dash, Dashboard), getattr(dash, "text", dash)
        yield dash, client_id, empty
    finally:
        shared = store._shared
        store.set_client_factory(None)
        if shared is not None:
            shared.client.close()


def _open(dash, key: str):
    dash.toggle_section(key)
    section = dash.section(key)
    assert section.is_open and section.panel is not None, dash.message.text
    return section.panel


def test_every_section_works_through_a_remote_api(remote_dashboard):
    from bokeh_app import store
    from scoring.service.http import HttpClient

    dash, client_id, empty = remote_dashboard
    assert isinstance(store.shared().client, HttpClient) and dash.client_id == client_id
    assert [s.key for s in dash.sections] == ["compare", "explore", "whatif", "monitoring", "model"]

    compare = _open(dash, "compare")
    assert sum(compare.sources[0].data["count"]) > 0 and compare.span.visible
    categorical = next(f.name for f in compare.info.features if f.kind == "categorical")
    compare.feature_select.value = categorical
    assert compare.table_data["label"] and compare.summary.text
    for group in ("gender", "age_band", "similar", "granted_refused"):
        compare.group_select.value = group
        assert sum(sum(src.data["count"]) for src in compare.sources) > 0, group
    assert compare.renderers[1].visible  # granted and refused, drawn apart

    scatter = _open(dash, "explore")
    assert client_id in scatter.sample_ids and scatter.points_sent > 100
    numeric = [f.name for f in scatter.info.features if f.kind == "numeric"]
    scatter.y_select.value = next(n for n in numeric if n not in (scatter.x_name, scatter.y_name))
    xs, ys = np.asarray(scatter.source.data["x"]), np.asarray(scatter.source.data["y"])
    scatter.select_box(*np.quantile(xs, [0.2, 0.8]), *np.quantile(ys, [0.2, 0.8]))
    assert scatter.selection_source == "geometry"
    inside = scatter.brush.summary["count"]
    assert 0 < inside < scatter.everyone.population.count and scatter.hist_renderers[1].visible
    scatter.clear_selection()
    scatter.source.selected.indices = list(range(0, 60, 2))  # a selection from the browser
    assert scatter.selection_source == "sample" and scatter.brush.summary["count"] == 30
    scatter.clear_selection()
    assert scatter.brush.summary["count"] == scatter.everyone.population.count

    whatif = _open(dash, "whatif")
    assert whatif.client_id == client_id and "AMT_CREDIT" in whatif.inputs
    credit = float(whatif.inputs["AMT_CREDIT"].value.replace(",", "."))
    whatif.inputs["AMT_CREDIT"].value = "douze"
    assert "nombre attendu" in whatif.messages["AMT_CREDIT"].text
    whatif.recompute()
    assert whatif.result is None and "rien n'a été recalculé" in html.unescape(whatif.status.text)
    whatif.inputs["AMT_CREDIT"].value = str(round(credit * 3))
    whatif.recompute()
    assert whatif.result is not None, whatif.status.text
    assert whatif.result.overrides == {"AMT_CREDIT": float(round(credit * 3))}
    assert whatif.result.after.score.probability != whatif.result.before.score.probability

    monitoring = _open(dash, "monitoring")  # the snapshot the run's refresh-cache stored, over HTTP
    assert monitoring.snapshot is not None and not monitoring.error and len(monitoring.view.figures) >= 4

    model = _open(dash, "model")
    assert model.layout is not None

    # the open sections follow the page: another client, then English
    other = store.shared().client.client_ids()[5]
    dash.client_input.value = str(other)
    assert dash.client_id == other and whatif.client_id == other and other in scatter.sample_ids
    dash.lang_select.value = "en"
    assert compare.group_select.title == "Comparison group" and "Credit amount" in whatif.inputs["AMT_CREDIT"].title
    assert "Whole population" in scatter.brush_summary.text
    assert "Error" not in dash.message.text and "erreur" not in dash.message.text.lower()
    assert not empty.data_dir.exists() or not any(empty.data_dir.rglob("*"))  # nothing written either
