"""Frame times of the served dashboard while an advisor pans the population scatter.

Starts `bokeh serve bokeh_app` on the run's artefacts, opens a client in
Debian's headless chromium (Playwright), activates the scatter's pan tool and
drags; a requestAnimationFrame probe records every frame's duration. Headless
chromium renders WebGL in software here (no GPU), so these are upper bounds.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.localserver import free_port, start_dashboard, stop
from bokeh_app.i18n import t
from scoring.paths import Paths
from scoring.progress import log

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]
#: The button that opens the data team's section (the scatter is built only then).
EXPLORE_BUTTON = "▸ Explorer deux caractéristiques (équipe data) (afficher)"
_PROBE = """() => { window.__frames = []; let last = performance.now();
  const tick = (t) => { window.__frames.push(t - last); last = t;
                        if (window.__frames.length < 100000) requestAnimationFrame(tick); };
  requestAnimationFrame(tick); }"""


def pan_frame_times(paths: Paths, client_id: int, drags: int = 6) -> dict[str, Any]:
    """p50/p95 frame time (ms) while panning the scatter; 'skipped' without chromium."""
    if not CHROMIUM.exists():
        return {"skipped": f"{CHROMIUM} not installed"}
    from playwright.sync_api import sync_playwright

    port = free_port()
    proc = start_dashboard(paths, port, timeout=300)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/bokeh_app?client={client_id}")
            page.get_by_role("button", name=EXPLORE_BUTTON).click(timeout=120_000)  # built on demand
            heading = page.get_by_text("Deux caractéristiques à la fois").first
            heading.wait_for(timeout=120_000)
            heading.scroll_into_view_if_needed()
            page.wait_for_timeout(2000)
            top = heading.bounding_box()["y"]
            boxes = [c.bounding_box() for c in page.locator("canvas").all()]
            box = sorted((b for b in boxes if b and b["height"] >= 380 and b["y"] > top),
                         key=lambda b: b["y"])[0]
            pans = [b for b in page.locator(f'[title="{t("tool.pan", "fr")}"]').all()
                    if (bb := b.bounding_box()) and bb["y"] > top]
            if not pans:
                raise RuntimeError("the scatter's pan tool was not found")
            pans[0].click()
            page.evaluate(_PROBE)
            cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            started = time.perf_counter()
            for k in range(drags):
                page.mouse.move(cx, cy)
                page.mouse.down()
                dx = 150 if k % 2 == 0 else -150
                page.mouse.move(cx + dx, cy + dx / 3, steps=30)
                page.mouse.up()
            seconds = time.perf_counter() - started
            frames = np.asarray(page.evaluate("window.__frames"))[1:]
            browser.close()
    finally:
        stop(proc)
    log.info("pan: %d frames in %.1f s", frames.size, seconds)
    return {"frames": int(frames.size), "seconds": round(seconds, 2),
            "frame_ms_p50": round(float(np.percentile(frames, 50)), 1),
            "frame_ms_p95": round(float(np.percentile(frames, 95)), 1),
            "fps_mean": round(float(frames.size / max(frames.sum() / 1000, 1e-9)), 1),
            "renderer": "headless chromium, software WebGL (no GPU)"}
