"""`python main.py bench dashboard-browser`: what an advisor waits for, in a real browser.

Debian's headless chromium (Playwright) against `bokeh serve bokeh_app`:
- server ready: from process start until the app page answers; server idle:
  until its background warm-up (the sections' indexes) is over, after which
  the pages are timed;
- opening a client by URL (`?client=ID`) in a fresh browser context: from
  navigation to the decision's words being visible, and the bytes
  transferred by then (HTTP bodies as sent, plus websocket frames); the same
  again in the same context (BokehJS then comes from the browser cache);
- switching client from the search box: from Enter to the new client's
  decision being shown;
- switching language: from the choice to the decision being in English;
- the same first two figures for a minimal one-figure Bokeh app served the
  same way, so the dashboard's figures read as a ratio to Bokeh's own floor.

With a built run under --data-dir/--cache-dir it is measured as it is;
otherwise a run of --clients/--new-clients (or --real-size) is built in a
temporary folder (fast training).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import run_or_build
from benchmarks.localserver import free_port, stop
from scoring.paths import REPO_ROOT, Paths

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1366, "height": 768}
#: Finds an element through Bokeh's shadow roots (every widget renders in one).
DEEP_QUERY = ("const deep = (root, sel) => { const f = root.querySelector(sel); if (f) return f;"
              " for (const el of root.querySelectorAll('*')) { if (el.shadowRoot) {"
              " const g = deep(el.shadowRoot, sel); if (g) return g; } } return null; };")
#: The decision in words, rendered and visible, for one of the given clients (by page title).
DECISION_JS = ("(ids) => { " + DEEP_QUERY + " const p = deep(document, 'p.decision');"
               " return p && p.getClientRects().length > 0 && ids.some(id => document.title.endsWith(String(id)))"
               " && /Crédit|Credit/.test(p.innerText) ? performance.now() : false; }")
MINIMAL_APP = '''
from bokeh.io import curdoc
from bokeh.models import Div
from bokeh.plotting import figure
p = figure(width=400, height=300, title="minimal")
p.line([1, 2, 3], [3, 1, 2])
curdoc().add_root(Div(text='<p class="ready">Ready</p>'))
curdoc().add_root(p)
'''
MINIMAL_READY_JS = ("() => { " + DEEP_QUERY + " const p = deep(document, 'p.ready');"
                    " return p && p.getClientRects().length > 0 ? performance.now() : false; }")


def _stats(ms: list[float]) -> dict[str, float]:
    a = np.asarray(ms, dtype=float)
    return {"p50_ms": round(float(np.percentile(a, 50)), 1), "p95_ms": round(float(np.percentile(a, 95)), 1),
            "max_ms": round(float(a.max()), 1), "n": int(a.size)}


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_until_idle(pid: int, started: float, quiet: float = 1.0, timeout: float = 120.0) -> float:
    """Seconds from `started` until the process stops using CPU for `quiet` seconds: the end of
    its background warm-up (the sections' shared indexes)."""
    last, last_change = _cpu_seconds(pid), time.perf_counter()
    while time.perf_counter() - last_change < quiet and time.perf_counter() - started < timeout:
        time.sleep(0.1)
        now = _cpu_seconds(pid)
        if now - last > 0.02:
            last, last_change = now, time.perf_counter()
    return last_change - started


def _serve(app_dir: Path, port: int, env: dict[str, str]) -> tuple[subprocess.Popen, float]:
    """Start `bokeh serve APP_DIR`; the seconds until the app page answers with 200."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bokeh", "serve", str(app_dir), "--port", str(port), "--address", "127.0.0.1",
         "--allow-websocket-origin", f"127.0.0.1:{port}"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/{app_dir.name}"
    while time.perf_counter() - started < 600:
        if proc.poll() is not None:
            raise RuntimeError(f"bokeh serve {app_dir} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                if response.status == 200:
                    return proc, time.perf_counter() - started
        except OSError:
            time.sleep(0.05)
    stop(proc)
    raise RuntimeError(f"bokeh serve {app_dir} did not answer within 600 s")


class _Transfer:
    """Bytes received by one page: HTTP bodies as sent over the wire, and websocket frames."""

    def __init__(self, context: Any, page: Any):
        self.http = 0
        self.websocket = 0
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.loadingFinished", self._http)
        cdp.on("Network.webSocketFrameReceived", self._frame)

    def _http(self, event: dict[str, Any]) -> None:
        self.http += int(event.get("encodedDataLength", 0))

    def _frame(self, event: dict[str, Any]) -> None:
        self.websocket += len(event.get("response", {}).get("payloadData", "").encode())

    def kb(self) -> dict[str, float]:
        return {"http_kb": round(self.http / 1024, 1), "websocket_kb": round(self.websocket / 1024, 1),
                "total_kb": round((self.http + self.websocket) / 1024, 1)}


def _open(browser: Any, url: str, ready_js: str, arg: Any = None, repeat_in_context: bool = True
          ) -> tuple[list[float], list[dict[str, float]]]:
    """(ms until ready, transfer) for a cold visit, then a warm one in the same browser context."""
    context = browser.new_context(viewport=VIEWPORT, locale="fr-FR")
    times, transfers = [], []
    try:
        for _ in range(2 if repeat_in_context else 1):
            page = context.new_page()
            transfer = _Transfer(context, page)
            page.goto(url, wait_until="commit")
            ready = page.wait_for_function(ready_js, arg=arg, timeout=120_000, polling="raf")
            times.append(float(ready.json_value()))
            page.wait_for_timeout(300)  # late frames of the same view still count as its transfer
            transfers.append(transfer.kb())
            page.close()
    finally:
        context.close()
    return times, transfers


def _switches(browser: Any, base: str, ids: list[int]) -> dict[str, Any]:
    """Client switches from the search box and language switches, on one open page."""
    context = browser.new_context(viewport=VIEWPORT, locale="fr-FR")
    page = context.new_page()
    page.goto(f"{base}?client={ids[0]}")
    page.wait_for_function(DECISION_JS, arg=[ids[0]], timeout=120_000)
    field = page.get_by_label("Numéro de client")
    switch_ms = []
    for cid in ids[1:]:
        field.fill(str(cid))
        t0 = page.evaluate("performance.now()")
        field.press("Enter")
        done = page.wait_for_function(DECISION_JS, arg=[cid], timeout=60_000, polling="raf")
        switch_ms.append(float(done.json_value()) - t0)
    lang_ms = []
    select = page.get_by_label("Langue · Language")
    for lang, name, word in [("en", "English", "Credit"), ("fr", "Français", "Crédit")] * 3:
        t0 = page.evaluate("performance.now()")
        select.select_option(label=name)
        done = page.wait_for_function(
            "(w) => { " + DEEP_QUERY + " const p = deep(document, 'p.decision');"
            " return p && p.innerText.includes(w) && document.documentElement.lang === "
            f"'{lang}' ? performance.now() : false; }}", arg=word, timeout=60_000, polling="raf")
        lang_ms.append(float(done.json_value()) - t0)
    context.close()
    return {"client_switch": _stats(switch_ms), "language_switch": _stats(lang_ms)}


def run(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    if not CHROMIUM.exists():
        return {"skipped": f"{CHROMIUM} not installed"}
    from playwright.sync_api import sync_playwright

    from scoring.explain.shap_cache import ShapStore

    with tempfile.TemporaryDirectory(prefix="bench-dashboard-browser-") as tmp_name:
        tmp = Path(tmp_name)
        run_paths, _built = run_or_build(args, paths, tmp)
        store = ShapStore.open(run_paths)
        rng = np.random.default_rng(0)
        ids = [int(i) for i in rng.choice(store.client_ids(), size=12, replace=False)]
        n_clients = len(store.client_ids())
        store.close()
        env = dict(os.environ) | run_paths.to_env() | {"SCORING_DASHBOARD_DEV": "1"}  # no sign-in
        env.pop("SCORING_API_URL", None)
        minimal = tmp / "minimal_app"
        minimal.mkdir()
        (minimal / "main.py").write_text(MINIMAL_APP)
        figures: dict[str, Any] = {"clients": n_clients, "viewport": VIEWPORT,
                                   "load_average": os.getloadavg()}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
            for name, app_dir, url_suffix, ready_js, arg in (
                    ("minimal_app", minimal, "", MINIMAL_READY_JS, None),
                    ("dashboard", REPO_ROOT / "bokeh_app", f"?client={ids[0]}", DECISION_JS, [ids[0]])):
                port = free_port()
                started = time.perf_counter()
                proc, ready_s = _serve(app_dir, port, env)
                warm_s = _wait_until_idle(proc.pid, started)  # pages are timed on a settled server
                try:
                    base = f"http://127.0.0.1:{port}/{app_dir.name}"
                    cold, warm = [], []
                    transfers = []
                    for _ in range(3):
                        times, kb = _open(browser, base + url_suffix, ready_js, arg)
                        cold.append(times[0])
                        warm.append(times[1])
                        transfers = kb
                    fig = {"server_ready_s": round(ready_s, 2), "server_idle_s": round(warm_s, 2),
                           "open_cold": _stats(cold),
                           "open_warm_cache": _stats(warm), "transfer_cold": transfers[0],
                           "transfer_warm_cache": transfers[1]}
                    if name == "dashboard":
                        fig |= _switches(browser, base, ids)
                    figures[name] = fig
                finally:
                    stop(proc)
            browser.close()
    dash, floor = figures["dashboard"], figures["minimal_app"]
    figures["ratio_to_minimal_app"] = {
        "open_cold_p50": round(dash["open_cold"]["p50_ms"] / floor["open_cold"]["p50_ms"], 2),
        "transfer_cold": round(dash["transfer_cold"]["total_kb"] / floor["transfer_cold"]["total_kb"], 2),
        "server_ready": round(dash["server_ready_s"] / floor["server_ready_s"], 2),
    }
    return figures
