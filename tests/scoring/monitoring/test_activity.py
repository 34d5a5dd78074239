"""The score over time, read from the prediction log the service writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from scoring.monitoring import activity
from scoring.service.prediction_log import PredictionEvent, PredictionLog

NOW = datetime(2026, 6, 17, 12, 0, tzinfo=UTC)  # a Wednesday


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.fixture()
def logged(tmp_path: Path) -> tuple[Path, list[PredictionEvent]]:
    """Events over 20 days written by the service's own log (a few without a client id)."""
    rng = np.random.default_rng(2)
    events = []
    for i in range(400):
        p = float(rng.beta(2, 12))
        events.append(PredictionEvent(client_id=None if i % 50 == 0 else int(rng.integers(100, 140)),
                                      model_version="v1", probability=p, refused=p >= 0.15, source="test",
                                      time=_iso(NOW - timedelta(hours=float(rng.uniform(0, 20 * 24))))))
    log = PredictionLog(tmp_path / "predictions.sqlite")
    for e in events:
        log.append(e)
    assert log.flush()
    log.close()
    return tmp_path / "predictions.sqlite", events


def test_reads_what_the_service_writes(logged) -> None:
    path, events = logged
    frame = activity.read_log(path)
    assert frame.height == len(events)
    assert sorted(frame["probability"].to_list()) == sorted(e.probability for e in events)
    assert frame["approved"].sum() == sum(not e.refused for e in events)
    since = _iso(NOW - timedelta(days=3))
    recent = [e for e in events if e.time >= since]
    assert activity.read_log(path, since).height == len(recent)
    expected_ids = {e.client_id for e in recent if e.client_id is not None}
    assert set(activity.scored_clients(activity.read_log(path, since)).tolist()) == expected_ids


def test_daily_and_weekly_series_match_a_direct_count(logged) -> None:
    path, events = logged
    out = activity.activity(path, [0.05, 0.1, 0.2], now=NOW)
    days = {d["date"]: d for d in out["days"]}
    for day in {e.time[:10] for e in events}:
        mine = [e for e in events if e.time[:10] == day]
        assert days[day]["scores"] == len(mine)
        assert days[day]["approval_rate"] == pytest.approx(np.mean([not e.refused for e in mine]))
    assert [d["date"] for d in out["days"]] == sorted(days)
    total = 0
    for week in out["weeks"]:
        start = datetime.fromisoformat(week["week"]).replace(tzinfo=UTC)
        assert start.weekday() == 0  # ISO weeks start on Monday
        mine = np.array([e.probability for e in events
                         if start <= datetime.fromisoformat(e.time.replace("Z", "+00:00")) < start + timedelta(days=7)])
        assert week["scores"] == mine.size
        assert week["quantiles"]["p50"] == pytest.approx(float(np.quantile(mine, 0.5)))
        counts = np.array([(mine <= 0.05).sum(), ((mine > 0.05) & (mine <= 0.1)).sum(),
                           ((mine > 0.1) & (mine <= 0.2)).sum(), (mine > 0.2).sum()])
        assert week["shares"] == pytest.approx((counts / mine.size).tolist(), abs=1e-6)
        total += week["scores"]
    assert total == len(events)


def test_no_log_or_an_unreadable_one_gives_empty_series(tmp_path: Path) -> None:
    assert activity.activity(tmp_path / "absent.sqlite", [0.1])["days"] == []
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    out = activity.activity(bad, [0.1])
    assert out["days"] == [] and out["weeks"] == []
