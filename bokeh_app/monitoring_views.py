"""Pure view functions of the monitoring section: a snapshot in, words, tables and bar data out.

The snapshot is the JSON of `scoring.monitoring.snapshot` (language-neutral:
column names, group keys, numbers); everything an advisor or the data team
reads is worded here in the page's language, through the gettext catalogue
and the catalogue's labels. Shared by the dashboard panel and the standalone
HTML report (`panel_monitoring.MonitoringView`).
"""

from __future__ import annotations

from typing import Any

from bokeh_app.i18n import N_, fmt_date, fmt_number, fmt_percent, t
from bokeh_app.panel_base import esc, html_table
from scoring.text import catalogue

#: Group key of clients whose grouping value is missing (scoring.model.fairness.MISSING_GROUP).
MISSING_GROUP = "__missing__"
#: The score's pseudo-feature in the drift alarms.
SCORE = "__score__"
#: Drifting features drawn with their two distributions (the score is drawn too).
TOP_DRAWN = 3
#: Drifting features listed in the table.
TOP_LISTED = 10

STATUS_KEYS = {"stable": N_("monitoring.status_stable"), "watch": N_("monitoring.status_watch"),
               "shifted": N_("monitoring.status_shifted"), "unknown": N_("monitoring.status_unknown")}
TEST_KEYS = {"ks": N_("monitoring.test_ks"), "chi2": N_("monitoring.test_chi2")}
SCOPE_KEYS = {"holdout": N_("monitoring.scope_holdout"), "scored": N_("monitoring.scope_scored")}
LEGEND_KEYS = {"holdout": N_("monitoring.legend_holdout"), "scored": N_("monitoring.legend_scored")}
FINDING_KEYS = {"selection_rate_ratio": N_("monitoring.finding_ratio"),
                "equalised_odds_difference": N_("monitoring.finding_eod")}


def ratio(value: float | None, lang: str) -> str:
    return t("missing_value", lang) if value is None else fmt_number(value, lang, 2)


def pct(value: float | None, lang: str) -> str:
    return fmt_percent(value, lang, 1)


def status_word(status: str, lang: str) -> str:
    return t(STATUS_KEYS.get(status, STATUS_KEYS["unknown"]), lang)


def feature_label(name: str, lang: str) -> str:
    return t("monitoring.score_label", lang) if name == SCORE else catalogue.label(name, lang)


def grouping_label(snapshot: dict[str, Any], key: str, lang: str) -> str:
    for g in snapshot.get("groupings", []):
        if g["key"] == key:
            return g["labels"].get(lang) or g["labels"].get("fr") or key
    return key


def group_label(column: str, group: dict[str, Any], lang: str) -> str:
    """A group in words: an age band, a category's label, or "not provided"."""
    key = group["group"]
    if key == MISSING_GROUP:
        return t("missing_value", lang)
    if "band" in group:
        lo, hi = group["band"]
        return catalogue.band_label(column, lo, hi, lang)
    return catalogue.category_label(column, key, lang)


# --------------------------------------------------------------------------- header

def intro(snapshot: dict[str, Any], lang: str) -> str:
    pops = snapshot["populations"]
    inc = pops["incoming"]
    return t("monitoring.intro", lang, date=fmt_date(snapshot["computed_at"], lang),
             model=snapshot["model_version"], incoming=fmt_number(inc["n"], lang),
             new=fmt_number(inc["new_clients"], lang), logged=fmt_number(inc["logged_clients"], lang),
             reference=fmt_number(pops["reference"]["n"], lang))


def drift_alarm_text(snapshot: dict[str, Any], lang: str) -> str:
    alarms = snapshot["alarms"]["drift"]
    if not alarms:
        return t("monitoring.no_alarm", lang)
    items = ", ".join(f"{feature_label(a['feature'], lang)} (PSI {ratio(a['psi'], lang)})" for a in alarms)
    return t("monitoring.alarm_drift", lang, items=items)


def finding_text(snapshot: dict[str, Any], finding: dict[str, Any], lang: str) -> str:
    return t(FINDING_KEYS[finding["figure"]], lang, grouping=grouping_label(snapshot, finding["grouping"], lang),
             scope=t(SCOPE_KEYS[finding["scope"]], lang), value=ratio(finding["value"], lang),
             limit=ratio(finding["limit"], lang))


def findings_text(snapshot: dict[str, Any], lang: str) -> str:
    found = snapshot["alarms"]["fairness"]
    if not found:
        return t("monitoring.no_findings", lang)
    return t("monitoring.findings", lang, items="; ".join(finding_text(snapshot, f, lang) for f in found))


def policy_text(snapshot: dict[str, Any], lang: str) -> str:
    policy = snapshot["policy"]
    used = policy.get("excluded_inputs_used") or []
    if used:
        return t("monitoring.policy_used", lang, names=", ".join(catalogue.label(n, lang) for n in used))
    names = ", ".join(catalogue.label(n, lang) for n in policy.get("excluded_inputs", [])) or "—"
    return t("monitoring.policy_ok", lang, names=names)


# --------------------------------------------------------------------------- fairness

def fairness_groupings(snapshot: dict[str, Any]) -> list[str]:
    """Grouping keys present in the snapshot (a grouping whose column is absent is left out)."""
    scored = snapshot["fairness"].get("scored", {}).get("groupings", {})
    return [k for k, g in scored.items() if not g.get("absent")]


def fairness_view(snapshot: dict[str, Any], key: str, lang: str) -> dict[str, Any]:
    """One grouping: bar data (hold-out and scored approval rates), its sentence and table."""
    fair = snapshot["fairness"]
    scored = fair["scored"]["groupings"][key]
    holdout = fair.get("holdout", {}).get("groupings", {}).get(key, {"groups": []})
    column = scored["column"]
    by_key = {g["group"]: g for g in holdout.get("groups", [])}
    rows, labels, bars = [], [], {"factor": [], "value": [], "text": [], "scope": []}
    for g in scored["groups"]:
        label = group_label(column, g, lang)
        labels.append(label)
        h = by_key.get(g["group"], {})
        notes = [t("monitoring.small_group", lang)] if g["small"] or h.get("small") else []
        if h.get("small_outcomes") and not h.get("small"):
            notes.append(t("monitoring.few_outcomes", lang))
        rows.append((label, fmt_number(h["n"], lang) if h else "—", pct(h.get("approval_rate"), lang),
                     pct(h.get("default_rate"), lang), pct(h.get("false_refusal_rate"), lang),
                     pct(h.get("missed_defaulter_rate"), lang), fmt_number(g["n"], lang),
                     pct(g["approval_rate"], lang), pct(g["mean_probability"], lang), "; ".join(notes) or "—"))
        for scope, entry in (("holdout", h), ("scored", g)):
            if entry.get("approval_rate") is not None:
                bars["factor"].append((label, t(SCOPE_KEYS[scope], lang)))
                bars["value"].append(float(entry["approval_rate"]))
                bars["text"].append(pct(entry["approval_rate"], lang))
                bars["scope"].append(scope)
    name = grouping_label(snapshot, key, lang)
    summary = t("monitoring.fairness_summary", lang, grouping=name,
                ratio=ratio(holdout.get("selection_rate_ratio"), lang),
                limit=ratio(snapshot["limits"]["four_fifths"], lang),
                eod=ratio(holdout.get("equalised_odds_difference"), lang),
                eod_limit=ratio(snapshot["limits"]["equalised_odds"], lang),
                ratio_all=ratio(scored.get("selection_rate_ratio"), lang))
    headers = [t(k, lang) for k in ("monitoring.col_group", "monitoring.col_clients_holdout",
                                    "monitoring.col_approval_holdout", "monitoring.col_default",
                                    "monitoring.col_false_refusal", "monitoring.col_missed",
                                    "monitoring.col_clients_scored", "monitoring.col_approval_scored",
                                    "monitoring.col_mean_probability", "monitoring.col_note")]
    table = html_table(t("monitoring.fairness_table", lang, grouping=name), headers, rows)
    return {"title": name, "labels": labels, "bars": bars, "summary": summary, "table_html": table}


# --------------------------------------------------------------------------- drift

def drift_table_html(snapshot: dict[str, Any], lang: str, top: int = TOP_LISTED) -> str:
    drift = snapshot["drift"]
    rows = []
    for name in [SCORE, *drift["ranked"][:top]]:
        f = drift["score"] if name == SCORE else drift["features"][name]
        label = feature_label(name, lang)
        if name != SCORE and not f.get("model_input", True):
            label = f"{label} {t('monitoring.not_input', lang)}"
        p = f.get("p_value")
        rows.append((label, ratio(f["psi"], lang), status_word(f["status"], lang),
                     t(TEST_KEYS.get(f.get("test"), "monitoring.test_ks"), lang),
                     _p_value(p, lang)))
    headers = [t(k, lang) for k in ("monitoring.col_feature", "monitoring.col_psi", "monitoring.col_status",
                                    "monitoring.col_test", "monitoring.col_pvalue")]
    return html_table(t("monitoring.drift_table", lang), headers, rows)


def _p_value(p: float | None, lang: str) -> str:
    """A p-value to four decimals; below that, "< 0,0001" (hundreds of thousands of clients make
    most differences "significant": the PSI says how much)."""
    if p is None:
        return t("missing_value", lang)
    return fmt_number(p, lang, 4) if p >= 1e-4 else f"< {fmt_number(1e-4, lang, 4)}"


def _bin_labels(name: str, entry: dict[str, Any], lang: str) -> list[str]:
    """One label per bin: categories, or value intervals of the reference deciles."""
    if entry["kind"] == "categorical":
        return [catalogue.category_label(name, c, lang) for c in entry["categories"]]
    edges = entry["edges"]

    def value(x: float) -> str:
        if name == SCORE:
            return fmt_percent(x, lang, 1)
        info = catalogue.CATALOGUE.get(name)
        if info is None or info.unit == "flag":  # a 0/1 edge reads as a number, not as "yes"/"no"
            return fmt_number(x, lang, 0 if float(x).is_integer() else 2)
        return catalogue.format_value(name, x, lang)

    if not edges:
        return [t("monitoring.bin_all", lang)]
    labels = [t("monitoring.bin_upto", lang, hi=value(edges[0]))]
    labels += [t("monitoring.bin_between", lang, lo=value(lo), hi=value(hi)) for lo, hi in zip(edges[:-1], edges[1:])]
    return labels + [t("monitoring.bin_above", lang, lo=value(edges[-1]))]


def distribution_view(snapshot: dict[str, Any], name: str, lang: str) -> dict[str, Any]:
    """The reference and incoming shares of one feature (or the score), with words and a table."""
    drift = snapshot["drift"]
    entry = drift["score"] if name == SCORE else drift["features"][name]
    labels = _bin_labels(name, entry, lang)
    ref, inc = list(entry["reference"]), list(entry["incoming"])
    missing = entry["missing"]
    if missing["reference"] or missing["incoming"]:
        labels.append(t("missing_value", lang))
        ref.append(missing["reference"])
        inc.append(missing["incoming"])
    labels = _unique(labels)
    gaps = [abs(a - b) for a, b in zip(ref, inc)]
    i = max(range(len(gaps)), key=gaps.__getitem__) if gaps else 0
    label = feature_label(name, lang)
    summary = t("monitoring.dist_summary", lang, feature=label, psi=ratio(entry["psi"], lang),
                status=status_word(entry["status"], lang), bin=labels[i] if labels else "—",
                ref=pct(ref[i] if ref else None, lang), inc=pct(inc[i] if inc else None, lang))
    rows = [(lab, pct(a, lang), pct(b, lang)) for lab, a, b in zip(labels, ref, inc)]
    table = html_table(t("monitoring.dist_table", lang, feature=label),
                       [t("monitoring.col_bin", lang), t("monitoring.legend_reference", lang),
                        t("monitoring.legend_incoming", lang)], rows)
    return {"title": f"{label} — PSI {ratio(entry['psi'], lang)} ({status_word(entry['status'], lang)})",
            "labels": labels, "reference": ref, "incoming": inc, "summary": summary, "table_html": table}


def _unique(labels: list[str]) -> list[str]:
    """Bar factors must differ: a repeated label (two bins worded alike) gets a counter."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def drawn_features(snapshot: dict[str, Any], top: int = TOP_DRAWN) -> list[str]:
    """The score, then the `top` model inputs that drift most."""
    drift = snapshot["drift"]
    inputs = [n for n in drift["ranked"] if drift["features"][n].get("model_input", True)]
    return [SCORE, *inputs[:top]]


# --------------------------------------------------------------------------- activity

def daily_view(snapshot: dict[str, Any], lang: str) -> dict[str, Any] | None:
    days = snapshot["activity"]["days"]
    if not days:
        return None
    rates = [d["approval_rate"] for d in days]
    total = sum(d["scores"] for d in days)
    mean = sum(d["approval_rate"] * d["scores"] for d in days) / total if total else None
    summary = t("monitoring.daily_summary", lang, days=fmt_number(len(days), lang), total=fmt_number(total, lang),
                rate=pct(mean, lang), min=pct(min(rates), lang), max=pct(max(rates), lang))
    rows = [(fmt_date(d["date"], lang), fmt_number(d["scores"], lang), pct(d["approval_rate"], lang)) for d in days]
    table = html_table(t("monitoring.daily_table", lang),
                       [t("monitoring.col_date", lang), t("monitoring.col_scores", lang),
                        t("monitoring.col_approval", lang)], rows)
    return {"dates": [d["date"] for d in days], "scores": [d["scores"] for d in days], "rates": rates,
            "summary": summary, "table_html": table}


def weekly_view(snapshot: dict[str, Any], lang: str) -> dict[str, Any] | None:
    weeks = snapshot["activity"]["weeks"]
    if not weeks:
        return None
    q = [w["quantiles"] for w in weeks]
    summary = t("monitoring.weekly_summary", lang, weeks=fmt_number(len(weeks), lang),
                first=pct(q[0]["p50"], lang), start=fmt_date(weeks[0]["week"], lang),
                last=pct(q[-1]["p50"], lang), end=fmt_date(weeks[-1]["week"], lang))
    rows = [(fmt_date(w["week"], lang), fmt_number(w["scores"], lang), pct(w["quantiles"]["p10"], lang),
             pct(w["quantiles"]["p50"], lang), pct(w["quantiles"]["p90"], lang)) for w in weeks]
    table = html_table(t("monitoring.weekly_table", lang),
                       [t("monitoring.col_week", lang), t("monitoring.col_scores", lang),
                        t("monitoring.col_p10", lang), t("monitoring.col_median", lang),
                        t("monitoring.col_p90", lang)], rows)
    return {"weeks": [w["week"] for w in weeks], "p10": [x["p10"] for x in q], "p25": [x["p25"] for x in q],
            "p50": [x["p50"] for x in q], "p75": [x["p75"] for x in q], "p90": [x["p90"] for x in q],
            "summary": summary, "table_html": table}


def paragraph(text: str, css_class: str = "") -> str:
    cls = f' class="{css_class}"' if css_class else ""
    return f"<p{cls}>{esc(text)}</p>"
