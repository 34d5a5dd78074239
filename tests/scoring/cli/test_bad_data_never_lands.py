"""Bad raw data never reaches the model: each fault is refused with its own message by the
pipeline, and every artefact (interim copies, features, models, CURRENT, cache, ACTIVE) is
byte-identical afterwards. A job killed between train and refresh-cache leaves the previous
pair served."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from scoring.cli.pipeline import run_steps
from scoring.errors import UserError
from scoring.explain.shap_cache import ShapStore
from scoring.model.registry import current_version
from scoring.paths import REPO_ROOT, Paths
from tests.scoring.data.test_loader import read_rows, set_cell, write_rows

SMALL = dict(clients=4000, new_clients=600, seed=11, fast=True)


@pytest.fixture()
def run_copy(small_run: Paths, tmp_path: Path) -> Paths:
    shutil.copytree(small_run.data_dir, tmp_path / "data")
    shutil.copytree(small_run.cache_dir, tmp_path / "cache")
    return Paths(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")


def artefacts(paths: Paths) -> dict[str, str]:
    """sha256 of every artefact file; the raw folder (where the fault is) and SQLite's transient
    files and the digest memo excluded."""
    out = {}
    for root in (paths.data_dir, paths.cache_dir):
        for f in sorted(root.rglob("*")):
            if (f.is_file() and paths.raw not in f.parents
                    and not f.name.endswith(("-wal", "-shm", ".lock", ".raw_digests.json"))):
                out[str(f.relative_to(root.parent))] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def cut_at_line_end(share: float, name: str) -> Callable[[Path], None]:
    def fault(raw: Path) -> None:
        path = raw / name
        lines = path.read_bytes().splitlines(keepends=True)
        path.write_bytes(b"".join(lines[: max(2, int(len(lines) * share))]))
    return fault


def cut_mid_line(raw: Path) -> None:
    path = raw / "bureau.csv"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 3])


def header_only(raw: Path) -> None:
    path = raw / "application_train.csv"
    path.write_bytes(path.read_bytes().splitlines(keepends=True)[0])


def shared_key(raw: Path) -> None:
    train_id = read_rows(raw / "application_train.csv")[1][0]
    set_cell(raw / "application_test.csv", "SK_ID_CURR", 1, train_id)


def cell(column: str, value: str, name: str = "application_train.csv") -> Callable[[Path], None]:
    return lambda raw: set_cell(raw / name, column, 3, value)


FAULTS = {
    "truncated history table": (cut_at_line_end(0.5, "installments_payments.csv"),
                                ["installments_payments.csv", "fewer than the", "--accept-shrink"]),
    "truncated application table": (cut_at_line_end(0.6, "application_train.csv"),
                                    ["application_train.csv", "fewer than the"]),
    "file cut mid-line": (cut_mid_line, ["bureau.csv"]),
    "header-only training table": (header_only, ["application_train.csv"]),
    "client in train and new": (shared_key, ["SK_ID_CURR", "application_test.csv"]),
    "infinite income": (cell("AMT_INCOME_TOTAL", "inf"), ["AMT_INCOME_TOTAL"]),
    "NaN credit": (cell("AMT_CREDIT", "NaN"), ["AMT_CREDIT"]),
    "1e308 annuity": (cell("AMT_ANNUITY", "1e308"), ["AMT_ANNUITY"]),
    "negative amount": (cell("AMT_CREDIT", "-5000"), ["AMT_CREDIT"]),
    "negative children": (cell("CNT_CHILDREN", "-3"), ["CNT_CHILDREN"]),
    "birth in the future": (cell("DAYS_BIRTH", "400"), ["DAYS_BIRTH"]),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_fault_is_refused_and_every_artefact_stays_byte_identical(fault: str, run_copy: Paths) -> None:
    inject, expected = FAULTS[fault]
    before = artefacts(run_copy)
    inject(run_copy.raw)
    with pytest.raises(UserError) as caught:
        run_steps(run_copy, **SMALL)
    message = str(caught.value)
    assert all(text in message for text in expected), message
    assert "9223372036854775808" not in message
    assert artefacts(run_copy) == before
    store = ShapStore.open(run_copy)  # and a restart still serves the same pair
    store.close()


def test_an_intended_smaller_table_is_accepted_when_told(run_copy: Paths) -> None:
    from scoring.data.loader import load_tables

    cut_at_line_end(0.5, "installments_payments.csv")(run_copy.raw)
    with pytest.raises(UserError, match="fewer than the"):
        load_tables(run_copy.raw, run_copy.interim)
    tables = load_tables(run_copy.raw, run_copy.interim, accept_shrink=True)
    rows = tables["installments_payments"].select("SK_ID_PREV").collect().height
    assert rows == len(read_rows(run_copy.raw / "installments_payments.csv")) - 1
    # the smaller load is now the reference: loading it again is fine
    load_tables(run_copy.raw, run_copy.interim)


def test_kill_between_train_and_cache_then_restart_serves_the_previous_pair(run_copy: Paths) -> None:
    from scoring.service.inprocess import InProcessClient

    served = current_version(run_copy)
    (run_copy.models / "CURRENT").unlink()  # makes the pipeline train again
    script = (
        "import sys, time\nfrom pathlib import Path\n"
        "from scoring.explain import cache_build\nfrom scoring.cli.pipeline import run_steps\n"
        "from scoring.paths import Paths\n"
        "def hang(*a, **k):\n    time.sleep(600)\n"
        "cache_build.refresh_cache = hang\n"
        "run_steps(Paths(data_dir=Path(sys.argv[1]), cache_dir=Path(sys.argv[2])), clients=4000, "
        "new_clients=600, seed=12, fast=True)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(run_copy.data_dir), str(run_copy.cache_dir)],
                            cwd=REPO_ROOT, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while current_version(run_copy) is None:
            assert proc.poll() is None, "the pipeline ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    waiting = current_version(run_copy)
    assert waiting is not None and waiting != served
    client = InProcessClient(run_copy)  # a restart after the kill
    try:
        health = client.health()
        assert health["model_version"] == served
        assert health["pending_model"]["version"] == waiting
        assert health["newer_pair_active"] is False and health["cache_age_seconds"] >= 0
    finally:
        client.store.close()
    outcomes = run_steps(run_copy, **SMALL)  # the next run builds the waiting model's cache
    assert [o.name for o in outcomes if o.ran] == ["refresh-cache"]
    assert ShapStore.open(run_copy).model_version == waiting
