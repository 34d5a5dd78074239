"""`main.py serve --num-procs 2`: two dashboard processes score what-ifs at the same time and
the prediction log loses none of their events (each process has its own background writer,
both write the one SQLite file).

chromium opens sessions until both server processes hold one (the kernel spreads the
connections), then every session submits a what-if in the same round, several rounds; every
event must reach the log, once, before and after the server is stopped as systemd stops it
(SIGTERM to every process of the service). Skipped without chromium.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.localserver import free_port
from scoring.paths import REPO_ROOT, Paths
from scoring.service.prediction_log import TABLE
from tests.browser_support import CHROMIUM
from tests.deploy.support import serve_has_dev

psutil = pytest.importorskip("psutil")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium not installed at /usr/bin/chromium"),
]

#: What-ifs each session submits, one per round, all sessions in the same round.
ROUNDS = 3
#: At most this many sessions are opened while looking for one in each process.
MAX_SESSIONS = 8
SECTION = "Simuler un changement"
FIELD = "Montant du crédit (€)"


@pytest.fixture(scope="module")
def serving_copy(small_run: Paths, tmp_path_factory: pytest.TempPathFactory) -> Paths:
    """What a serving machine holds (the model and the cache build): its own prediction log."""
    root = tmp_path_factory.mktemp("two_procs")
    paths = Paths(data_dir=root / "data", cache_dir=root / "cache")
    shutil.copytree(small_run.models, paths.models)
    shutil.copytree(small_run.cache_dir, paths.cache_dir)
    return paths


class Server:
    """`main.py serve --num-procs 2`, started as a supervisor would."""

    def __init__(self, paths: Paths):
        self.port = free_port()
        argv = [sys.executable, "main.py", "serve", "--num-procs", "2", "--port", str(self.port),
                "--data-dir", str(paths.data_dir), "--cache-dir", str(paths.cache_dir)]
        if serve_has_dev():
            argv.append("--dev")
        env = {k: v for k, v in os.environ.items() if k != "SCORING_API_URL"}
        self.proc = subprocess.Popen(argv, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        self.url = f"http://127.0.0.1:{self.port}/bokeh_app"
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/static/css/dashboard.css", timeout=2):
                    break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("main.py serve --num-procs 2 did not start") from None
                time.sleep(0.3)

    def workers(self) -> list[psutil.Process]:
        """The forked server processes (the children of bokeh's supervising process)."""
        bokeh = psutil.Process(self.proc.pid).children()
        return [child for parent in bokeh for child in parent.children()]

    def stop(self) -> list[psutil.Process]:
        """SIGTERM to `main.py serve` alone, as a supervisor stops its main process; it stops
        every server process. Returns those still alive 20 s later (then killed)."""
        processes = [psutil.Process(self.proc.pid), *psutil.Process(self.proc.pid).children(recursive=True)] \
            if self.proc.poll() is None else []
        self.proc.send_signal(signal.SIGTERM)
        _, alive = psutil.wait_procs(processes, timeout=20)
        for process in alive:
            process.kill()
        self.proc.wait()
        return alive


@pytest.fixture(scope="module")
def server(serving_copy: Paths) -> Iterator[Server]:
    running = Server(serving_copy)
    try:
        yield running
    finally:
        running.stop()


def what_ifs(log_path: Path) -> list[tuple[int, float]]:
    """(client, edited credit amount) of every what-if event the dashboard logged."""
    if not log_path.exists():
        return []
    conn = sqlite3.connect(f"file:{log_path}?mode=ro", uri=True)
    try:
        rows = conn.execute(f"SELECT client_id, overrides FROM {TABLE} "
                            "WHERE source = 'dashboard' AND kind = 'what_if'").fetchall()
    except sqlite3.OperationalError as exc:  # created, its table not yet
        if "no such table" in str(exc):
            return []
        raise
    finally:
        conn.close()
    return [(cid, float(json.loads(overrides)["AMT_CREDIT"])) for cid, overrides in rows]


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def open_session(browser, server: Server, client_id: int):
    context = browser.new_context(viewport={"width": 1280, "height": 1800})
    page = context.new_page()
    page.goto(f"{server.url}?client={client_id}&lang=fr", wait_until="load")
    page.locator("p.decision").wait_for(timeout=60_000)
    page.get_by_role("button", name=f"▸ {SECTION} (afficher)").click()
    page.get_by_label(FIELD, exact=True).wait_for(timeout=30_000)
    return context, page


def submit(page, amount: int) -> None:
    field = page.get_by_label(FIELD, exact=True)
    field.fill(str(amount))
    field.press("Tab")
    page.get_by_role("button", name="Recalculer").click()


def test_two_dashboard_processes_log_every_what_if(server: Server, serving_copy: Paths, chromium) -> None:
    import polars as pl

    from scoring.explain.shap_cache import ShapStore

    log_path = serving_copy.prediction_log
    workers = server.workers()
    assert len(workers) == 2
    store = ShapStore.open(serving_copy)
    try:
        ids = [int(i) for i in store.client_ids()[:MAX_SESSIONS]]
        frame = pl.read_parquet(store.input_file(serving_copy.features), columns=["SK_ID_CURR", "AMT_CREDIT"])
        credit = dict(zip(frame["SK_ID_CURR"].to_list(), frame["AMT_CREDIT"].to_list(), strict=True))
    finally:
        store.close()

    def logging_workers() -> set[int]:
        """Server processes holding the log's database open: those whose writer has written."""
        holders = set()
        for worker in workers:
            if any(Path(f.path) == log_path for f in worker.open_files()):
                holders.add(worker.pid)
        return holders

    sent: list[tuple[int, float]] = []
    sessions = []
    try:
        # open sessions until each server process has logged a what-if of its own
        while len(logging_workers()) < 2:
            assert len(sessions) < MAX_SESSIONS, "every session went to the same server process"
            cid = ids[len(sessions)]
            context, page = open_session(chromium, server, cid)
            sessions.append((context, page, cid))
            amount = round(credit[cid] * 1.1) + 1
            submit(page, amount)
            sent.append((cid, float(amount)))
            wait_for(lambda n=len(sent): len(what_ifs(log_path)) >= n, 30, "the first what-if")
            time.sleep(0.5)
        # rounds: every session submits, then all are awaited, so both processes write at once
        for round_ in range(1, ROUNDS + 1):
            for _, page, cid in sessions:
                amount = round(credit[cid] * 1.1) + 1 + round_ * 100
                submit(page, amount)
                sent.append((cid, float(amount)))
            wait_for(lambda n=len(sent): len(what_ifs(log_path)) >= n, 60, f"round {round_}'s events")
    finally:
        for context, _, _ in sessions:
            context.close()
    assert sorted(what_ifs(log_path)) == sorted(sent)  # every event, once
    assert server.stop() == []  # no forked server process outlives the command
    assert sorted(what_ifs(log_path)) == sorted(sent)
