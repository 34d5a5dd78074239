"""A monitoring snapshot of a constructed population, for tests that need one without a run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from scoring.monitoring.snapshot import MonitoringInputs, compute_snapshot
from scoring.service.prediction_log import PredictionEvent, PredictionLog
from tests.panels_support import FEATURES, THRESHOLD, logistic_proba, make_frame

#: When the constructed "last refresh" happened: 10 days before now.
SINCE_DAYS = 10


def constructed_frame(n: int = 3000, seed: int = 4) -> pl.DataFrame:
    """The panels' constructed feature table plus a family status (every grouping present)."""
    frame = make_frame(n, seed)
    rng = np.random.default_rng(seed + 1)
    status = rng.choice(["Married", "Single / not married", "Widow", "Separated"], n, p=[0.6, 0.3, 0.07, 0.03])
    return frame.with_columns(pl.Series("NAME_FAMILY_STATUS", status))


def write_events(path: Path, client_ids: list[int], days: int = 30, seed: int = 6) -> list[PredictionEvent]:
    """Scores served over the last `days` days, through the service's own log."""
    rng = np.random.default_rng(seed)
    now = datetime.now(UTC)
    events = []
    log = PredictionLog(path)
    for i in range(300):
        p = float(rng.beta(2, 10))
        moment = now - timedelta(days=float(rng.uniform(0, days)))
        event = PredictionEvent(client_id=int(client_ids[i % len(client_ids)]), model_version="v-test",
                                probability=p, refused=p >= THRESHOLD, source="test",
                                time=moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"))
        log.append(event)
        events.append(event)
    log.flush()
    log.close()
    return events


def constructed_snapshot(tmp_path: Path, frame: pl.DataFrame | None = None, *,
                         events: bool = True) -> dict[str, Any]:
    """The snapshot of `frame` (default: `constructed_frame()`) scored by the fake model."""
    frame = constructed_frame() if frame is None else frame
    proba = logistic_proba(frame["AMT_CREDIT"].to_numpy(), frame["AMT_INCOME_TOTAL"].to_numpy(),
                           frame["EXT_SOURCE_2"].to_numpy())
    log_path = tmp_path / "predictions.sqlite"
    if events:
        write_events(log_path, frame.filter(pl.col("SAMPLE") == "train")["SK_ID_CURR"].head(40).to_list())
    since = (datetime.now(UTC) - timedelta(days=SINCE_DAYS)).isoformat(timespec="seconds")
    inputs = MonitoringInputs(frame, proba, THRESHOLD, "v-test", [f for f in FEATURES if f != "CODE_GENDER"],
                              {}, "build-test", since)
    return compute_snapshot(inputs, log_path, since)
