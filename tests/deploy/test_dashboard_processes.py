"""Two dashboard processes (`serve --num-procs 2`, behind nginx as deployed) score what-ifs at
the same time and the prediction log loses none of their events: each process has its own
background writer, both write the one SQLite file.

chromium opens sessions until both server processes hold one: nginx keeps no idle connection
to the dashboard, so a process's open connections are its sessions' WebSockets. Then every
session submits a what-if in the same round, several rounds: every event reaches the log
once. A last round is queued while another connection holds the database's write lock, and
the dashboard is stopped (SIGTERM to `main.py serve`, as systemd stops it) before the lock is
released: every event is still kept, once, and no server process outlives the command.
Skipped without chromium or nginx.
"""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scoring.paths import Paths
from scoring.service.log_writer import spill_files
from scoring.service.prediction_log import TABLE
from tests.browser_support import CHROMIUM
from tests.deploy.stack import NEEDS_NGINX, Stack

psutil = pytest.importorskip("psutil")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium not installed at /usr/bin/chromium"),
    *NEEDS_NGINX,
]

#: Rounds in which every session submits one what-if.
ROUNDS = 3
#: At most this many sessions are opened while looking for one in each process.
MAX_SESSIONS = 8
SECTION = "Simuler un changement"
FIELD = "Montant du crédit (€)"


@pytest.fixture(scope="module")
def serving_copy(small_run: Paths, tmp_path_factory: pytest.TempPathFactory) -> Paths:
    """What a serving machine holds (the model and the cache build), with its own prediction log."""
    root = tmp_path_factory.mktemp("two_procs")
    paths = Paths(data_dir=root / "data", cache_dir=root / "cache")
    shutil.copytree(small_run.models, paths.models)
    shutil.copytree(small_run.cache_dir, paths.cache_dir)
    return paths


@pytest.fixture(scope="module")
def stack(serving_copy: Paths, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack(serving_copy, tmp_path_factory.mktemp("nginx2"), dashboard_procs=2, dev=True)
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def credit(serving_copy: Paths) -> dict[int, float]:
    """Each client's credit amount (the what-if edits it)."""
    import polars as pl

    from scoring.explain.shap_store import ShapStore

    store = ShapStore.open(serving_copy)
    try:
        frame = pl.read_parquet(store.input_file(serving_copy.features), columns=["SK_ID_CURR", "AMT_CREDIT"])
    finally:
        store.close()
    return dict(zip(frame["SK_ID_CURR"].to_list(), frame["AMT_CREDIT"].to_list(), strict=True))


def server_processes(stack: Stack) -> list[psutil.Process]:
    """main.py serve, bokeh's supervising process and the two forked server processes."""
    main = psutil.Process(stack.dashboard.pid)
    return [main, *main.children(recursive=True)]


def websockets(workers: list[psutil.Process], port: int) -> dict[int, int]:
    """Open connections on the dashboard's port, per server process."""
    return {w.pid: sum(1 for c in w.net_connections(kind="tcp")
                       if c.laddr and c.laddr.port == port and c.status == psutil.CONN_ESTABLISHED)
            for w in workers}


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


def kept_events(log_path: Path) -> list[tuple[int, float]]:
    """What-if events in the database and in spill files not ingested yet (kept, not lost)."""
    spilled = []
    for spill in spill_files(log_path):
        for line in spill.read_text().splitlines():
            row = json.loads(line)
            if row["source"] == "dashboard" and row["kind"] == "what_if":
                spilled.append((row["client_id"], float(json.loads(row["overrides"])["AMT_CREDIT"])))
    return sorted(what_ifs(log_path) + spilled)


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def open_session(browser, stack: Stack, client_id: int):
    context = browser.new_context(viewport={"width": 1280, "height": 1800}, ignore_https_errors=True)
    page = context.new_page()
    page.goto(f"{stack.url}/bokeh_app?client={client_id}&lang=fr", wait_until="load")
    page.locator("p.decision").wait_for(timeout=60_000)
    page.get_by_role("button", name=f"▸ {SECTION} (afficher)").click()
    page.get_by_label(FIELD, exact=True).wait_for(timeout=30_000)
    return context, page


def what_if_round(sessions: list, amounts: dict[int, int]) -> list[tuple[int, float]]:
    """Every session submits its what-if before any is awaited (both processes score, and log, at
    the same time); returns once every page shows its result, so every event has been queued."""
    for _, page, cid in sessions:
        page.get_by_role("button", name="Réinitialiser").click()
        page.get_by_text("Après modification").first.wait_for(state="detached", timeout=30_000)
        field = page.get_by_label(FIELD, exact=True)
        field.fill(str(amounts[cid]))
        field.press("Tab")
        page.get_by_role("button", name="Recalculer").click()
    for _, page, _ in sessions:
        page.get_by_text("Après modification").first.wait_for(timeout=60_000)
    return [(cid, float(amounts[cid])) for _, _, cid in sessions]


def open_sessions_in_both_processes(browser, stack: Stack, workers: list, ids: list[int]) -> list:
    """Sessions, one at a time, until each server process holds at least one."""
    sessions: list = []
    while True:
        held = websockets(workers, stack.dashboard_port)
        if len(sessions) and sum(held.values()) == len(sessions) and all(held.values()):
            return sessions
        assert len(sessions) < MAX_SESSIONS, f"every session went to the same server process: {held}"
        cid = ids[len(sessions)]
        sessions.append((*open_session(browser, stack, cid), cid))
        # the page's plain requests are over once only the WebSockets stay open
        wait_for(lambda: sum(websockets(workers, stack.dashboard_port).values()) == len(sessions), 30,
                 "the page's requests to end")


def test_two_dashboard_processes_log_every_what_if(stack: Stack, serving_copy: Paths, chromium,
                                                   credit: dict[int, float]) -> None:
    log_path = serving_copy.prediction_log
    processes = server_processes(stack)
    workers = [p for p in processes if p.ppid() != stack.dashboard.pid and p.pid != stack.dashboard.pid]
    assert len(workers) == 2
    amount = lambda cid, round_: round(credit[cid] * 1.1) + 1 + 100 * round_  # noqa: E731
    sessions = open_sessions_in_both_processes(chromium, stack, workers, sorted(credit)[:MAX_SESSIONS])
    sent: list[tuple[int, float]] = []
    try:
        for round_ in range(ROUNDS):
            sent += what_if_round(sessions, {cid: amount(cid, round_) for _, _, cid in sessions})
            wait_for(lambda n=len(sent): len(what_ifs(log_path)) >= n, 60, f"round {round_}'s events")
        assert sorted(what_ifs(log_path)) == sorted(sent)  # every event, once

        # a last round while another connection holds the database's write lock: the events wait
        # in both processes' queues; the dashboard is stopped, then the lock released
        locker = sqlite3.connect(log_path, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")
        try:
            sent += what_if_round(sessions, {cid: amount(cid, ROUNDS) for _, _, cid in sessions})
            assert len(what_ifs(log_path)) < len(sent)  # waiting in the processes' queues
            stack.dashboard.send_signal(signal.SIGTERM)
            time.sleep(1.0)  # the processes are exiting, still holding their events
        finally:
            locker.execute("ROLLBACK")
            locker.close()
    finally:
        for context, _, _ in sessions:
            context.close()
    _, alive = psutil.wait_procs(processes, timeout=20)
    assert alive == []  # no forked server process outlives the command
    assert kept_events(log_path) == sorted(sent)  # every event, once: none lost on the way out
