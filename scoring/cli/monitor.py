"""`python main.py monitor`: the data team's monitoring snapshot on the served pair.

Prints the summary (largest drifts, fairness figures, anything over a limit)
and exits 1 when a drift alarm is raised, so that a nightly job reports it;
fairness findings need a person's review and fail the run only with
`--fail-on-fairness`. `--json FILE` writes the snapshot `GET /monitoring`
serves, `--html FILE` a standalone report (Bokeh, no server needed), `--store`
stores it as the active cache build's snapshot (what the API and the dashboard
show; the nightly `refresh-cache` does this itself).
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path
from typing import Any

from scoring.atomic import write_text_atomic
from scoring.monitoring.snapshot import (
    MonitoringInputs,
    compute_snapshot,
    store_snapshot,
    write_snapshot,
)
from scoring.paths import Paths
from scoring.progress import log, step

#: Exit status when an alarm fails the run (a bad input is 2, as for every command).
ALARM_EXIT = 1
#: The HTML report's renderer, a front end: resolved by name like every handler of `commands.py`.
HTML_RENDERER = "bokeh_app.monitoring_report:report_html"


def current_snapshot(paths: Paths) -> dict[str, Any]:
    """The snapshot of the served (model, cache) pair; clients logged since its refresh."""
    from scoring.explain.shap_cache import ShapStore

    store = ShapStore.open(paths)
    try:
        inputs = MonitoringInputs.of_store(store)
    finally:
        store.close()
    with step("monitoring snapshot"):
        return compute_snapshot(inputs, paths.prediction_log, since=inputs.built_at)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _fairness_lines(snapshot: dict[str, Any]) -> list[str]:
    limits = snapshot["limits"]
    lines = []
    for scope, part in snapshot["fairness"].items():
        what = "known outcomes" if part["outcomes"] else "decisions only"
        lines.append(f"Fairness on the {'training hold-out' if scope == 'holdout' else 'scored clients'} "
                     f"({part['n']:,} clients, {what}):")
        for key, g in part["groupings"].items():
            if g.get("absent"):
                lines.append(f"  {key:<15} column {g['column']} absent")
                continue
            flags = [f"REVIEW {f['figure']} {f['value']:.3f} (limit {f['limit']})" for f in g["findings"]]
            lines.append(f"  {key:<15} selection-rate ratio {_num(g['selection_rate_ratio'])} "
                         f"(four-fifths: >= {limits['four_fifths']}), equalised-odds difference "
                         f"{_num(g.get('equalised_odds_difference'))}" + (f"  [{'; '.join(flags)}]" if flags else ""))
            for row in g["groups"]:
                errors = (f", default {_pct(row['default_rate'])}, false refusals {_pct(row['false_refusal_rate'])},"
                          f" missed defaulters {_pct(row['missed_defaulter_rate'])}") if part["outcomes"] else ""
                small = ("  (too few clients to conclude)" if row["small"] else
                         "  (too few defaulters or good clients for error rates)" if row.get("small_outcomes") else "")
                lines.append(f"    {row['group']:<22} n={row['n']:>8,}  approved {_pct(row['approval_rate'])}, "
                             f"mean probability {_pct(row['mean_probability'])}{errors}{small}")
    return lines


def summary_text(snapshot: dict[str, Any], top: int = 10) -> str:
    """What the nightly log and a person read: the largest drifts, fairness, alarms."""
    pops, drift = snapshot["populations"], snapshot["drift"]
    inc = pops["incoming"]
    score = drift["score"]
    lines = [
        f"Monitoring: model {snapshot['model_version']}, cache {snapshot.get('build_id')}, "
        f"computed {snapshot['computed_at']} in {snapshot['seconds']:.1f} s",
        f"Incoming clients: {inc['n']:,} ({inc['new_clients']:,} new, {inc['logged_clients']:,} scored since "
        f"{inc['logged_since'] or 'the start of the log'}) against {pops['reference']['n']:,} training clients",
        f"Score PSI {score['psi']:.3f} ({score['status']})",
        f"Largest drifts (PSI: < {snapshot['limits']['psi_watch']} stable, up to "
        f"{snapshot['limits']['psi_shift']} to watch, above: shifted):",
    ]
    for name in drift["ranked"][:top]:
        f = drift["features"][name]
        test = f"{f['test']} p={f['p_value']:.2g}" if f.get("p_value") is not None else f["test"]
        lines.append(f"  {name:<32}{f['psi']:>8.3f}  {f['status']:<8} {test}"
                     + ("" if f["model_input"] else "  (not a model input)"))
    if not drift["enough_incoming"]:
        lines.append(f"  (fewer than {snapshot['limits']['min_incoming']} incoming clients: no drift alarm)")
    lines += _fairness_lines(snapshot)
    policy = snapshot["policy"]
    used = policy["excluded_inputs_used"]
    lines.append(f"Inputs excluded by policy: {', '.join(policy['excluded_inputs']) or 'none'}"
                 + (f"; USED by this model (trained before the policy or with --keep-protected): {', '.join(used)}"
                    if used else
                    "; none used by this model"))
    for w in snapshot["warnings"]:
        lines.append(f"Warning: {w}")
    alarms = snapshot["alarms"]
    if alarms["drift"]:
        lines.append("DRIFT ALARM: " + ", ".join(
            f"{'score' if a['feature'] == '__score__' else a['feature']} PSI {a['psi']:.3f}" for a in alarms["drift"]))
    else:
        lines.append("No drift alarm.")
    lines.append(f"Fairness findings to review: {len(alarms['fairness'])}" if alarms["fairness"]
                 else "No fairness finding.")
    return "\n".join(lines)


def write_html(snapshot: dict[str, Any], target: Path, lang: str) -> None:
    """The standalone report (Bokeh, JavaScript inlined), written in one rename."""
    module, func = HTML_RENDERER.split(":")
    write_text_atomic(target, getattr(importlib.import_module(module), func)(snapshot, lang=lang))


def cli_monitor(args: argparse.Namespace, paths: Paths) -> int:
    """`python main.py monitor [--html FILE] [--json FILE] [--fail-on-fairness] [--store]`."""
    snapshot = current_snapshot(paths)
    if args.json is not None:
        write_snapshot(snapshot, args.json)
        log.info("monitoring snapshot written to %s", args.json)
    if args.store:
        log.info("monitoring snapshot stored as %s", store_snapshot(paths, snapshot))
    if args.html is not None:
        write_html(snapshot, args.html, args.lang)
        log.info("monitoring report written to %s", args.html)
    print(summary_text(snapshot, top=max(1, args.top)))
    alarms = snapshot["alarms"]
    return ALARM_EXIT if alarms["drift"] or (args.fail_on_fairness and alarms["fairness"]) else 0
