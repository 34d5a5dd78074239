"""The score over time, from the prediction log: scores served and approval rate per day, the
distribution of probabilities per week, and the clients scored since a given time.

The log is the service's SQLite file (`scoring.service.prediction_log`, table `predictions`:
time as ISO 8601 UTC text, client_id, probability, decision 'accepted' or 'refused'). It is
read here through a read-only connection (monitoring sits below the service layer and never
writes it); a test checks that what the service writes is what this module reads.
"""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from scoring.progress import log

#: The log's table (scoring.service.prediction_log.TABLE).
TABLE = "predictions"
#: Days of history shown (daily series) and weeks (weekly distributions).
DAYS = 90
WEEKS = 26
#: Quantiles of the weekly probability distribution.
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)


def read_log(path: Path, since: str | None = None) -> pl.DataFrame:
    """(time, day, client_id, probability, approved) of every score served since `since` (ISO
    8601 UTC; None: all), an empty frame when there is no log or it cannot be read."""
    empty = pl.DataFrame(schema={"time": pl.String, "client_id": pl.Int64, "probability": pl.Float64,
                                 "approved": pl.Boolean})
    if not Path(path).is_file():
        return empty
    # a `view` (someone opened a client's file) is no score served
    query = f"SELECT time, client_id, probability, decision = 'accepted' FROM {TABLE} WHERE kind != 'view'"
    args: tuple[Any, ...] = ()
    if since is not None:
        query += " AND time >= ?"
        args = (_log_time(since),)
    try:
        with contextlib.closing(_connect(Path(path))) as conn:
            rows = conn.execute(query, args).fetchall()
    except sqlite3.Error as exc:  # a monitoring report never fails on the log: it says so
        log.warning("prediction log %s unreadable (%s): no activity series", path, exc)
        return empty
    if not rows:
        return empty
    time, client_id, probability, approved = zip(*rows, strict=True)
    return pl.DataFrame({"time": list(time), "client_id": list(client_id),
                         "probability": list(probability), "approved": [bool(a) for a in approved]},
                        schema=empty.schema)


def _log_time(iso: str) -> str:
    """An ISO time in the log's own form (UTC, milliseconds, 'Z'), so text order is time order."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def scored_clients(events: pl.DataFrame) -> np.ndarray:
    """Distinct client ids in the log rows (new applicants without an id are left out)."""
    ids = events.get_column("client_id").drop_nulls().unique()
    return ids.to_numpy().astype(np.int64)


def daily(events: pl.DataFrame) -> list[dict[str, Any]]:
    """Scores served and approval rate per UTC day, oldest first."""
    if events.height == 0:
        return []
    out = (events.with_columns(pl.col("time").str.slice(0, 10).alias("date"))
           .group_by("date").agg(pl.len().alias("scores"), pl.col("approved").mean().alias("approval_rate"))
           .sort("date"))
    return out.to_dicts()


def weekly(events: pl.DataFrame, edges: list[float]) -> list[dict[str, Any]]:
    """Per ISO week (from its Monday): scores, probability quantiles and shares over `edges`
    (the training clients' score deciles, so every week reads against the same bins)."""
    if events.height == 0:
        return []
    frame = events.with_columns(
        pl.col("time").str.slice(0, 10).str.to_date().dt.truncate("1w").alias("week"))
    cut = np.asarray(edges, dtype=np.float64)
    out = []
    for (week,), part in frame.sort("week").group_by(["week"], maintain_order=True):
        p = part.get_column("probability").to_numpy()
        counts = np.bincount(np.searchsorted(cut, p, side="left"), minlength=cut.size + 1)
        out.append({"week": week.isoformat(), "scores": int(p.size),
                    "quantiles": {f"p{round(q * 100)}": float(v) for q, v in zip(QUANTILES, np.quantile(p, QUANTILES),
                                                                                 strict=True)},
                    "shares": [round(float(c) / p.size, 6) for c in counts]})
    return out


def activity(path: Path, score_edges: list[float], now: datetime | None = None) -> dict[str, Any]:
    """The score-over-time part of the snapshot: the last `DAYS` days and `WEEKS` weeks."""
    now = now or datetime.now(UTC)
    events = read_log(path, since=(now - timedelta(weeks=WEEKS)).isoformat())
    recent = events.filter(pl.col("time") >= _log_time((now - timedelta(days=DAYS)).isoformat()))
    return {"days": daily(recent), "weeks": weekly(events, score_edges), "score_edges": score_edges,
            "window_days": DAYS, "window_weeks": WEEKS, "scores_in_window": events.height}
