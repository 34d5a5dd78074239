"""Frame times of the served dashboard while an advisor pans the population scatter.

Starts `bokeh serve bokeh_app` on the run's artefacts, opens a client in
Debian's headless chromium (Playwright), activates the scatter's pan tool and
drags; a requestAnimationFrame probe records every frame's duration. Headless
chromium renders WebGL in software here (no GPU), so these are upper bounds.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

from scoring.paths import REPO_ROOT, Paths
from scoring.progress import log

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]
_PROBE = """() => { window.__frames = []; let last = performance.now();
  const tick = (t) => { window.__frames.push(t - last); last = t;
                        if (window.__frames.length < 100000) requestAnimationFrame(tick); };
  requestAnimationFrame(tick); }"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(paths: Paths, port: int) -> subprocess.Popen:
    env = dict(os.environ) | paths.to_env()
    env.pop("SCORING_API_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bokeh", "serve", "bokeh_app", "--port", str(port), "--address",
         "127.0.0.1", "--allow-websocket-origin", f"127.0.0.1:{port}"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/bokeh_app/static/css/dashboard.css", timeout=2)
            return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("bokeh serve did not start")


def pan_frame_times(paths: Paths, client_id: int, drags: int = 6) -> dict[str, Any]:
    """p50/p95 frame time (ms) while panning the scatter; 'skipped' without chromium."""
    if not CHROMIUM.exists():
        return {"skipped": f"{CHROMIUM} not installed"}
    from playwright.sync_api import sync_playwright

    port = _free_port()
    proc = _serve(paths, port)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/bokeh_app?client={client_id}")
            heading = page.get_by_text("Deux caractéristiques à la fois").first
            heading.wait_for(timeout=120_000)
            heading.scroll_into_view_if_needed()
            page.wait_for_timeout(2000)
            top = heading.bounding_box()["y"]
            boxes = [c.bounding_box() for c in page.locator("canvas").all()]
            box = sorted((b for b in boxes if b and b["height"] >= 380 and b["y"] > top),
                         key=lambda b: b["y"])[0]
            pans = [b for b in page.locator('[title="Pan"]').all()
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
        proc.terminate()
        proc.wait(timeout=20)
    log.info("pan: %d frames in %.1f s", frames.size, seconds)
    return {"frames": int(frames.size), "seconds": round(seconds, 2),
            "frame_ms_p50": round(float(np.percentile(frames, 50)), 1),
            "frame_ms_p95": round(float(np.percentile(frames, 95)), 1),
            "fps_mean": round(float(frames.size / max(frames.sum() / 1000, 1e-9)), 1),
            "renderer": "headless chromium, software WebGL (no GPU)"}
