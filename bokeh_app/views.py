"""Pure view-model functions: service results in, column data and texts out.

Like the `select_movies` function of Bokeh's `movies` example, nothing here
touches a Bokeh model: `layout.Dashboard.update` only assigns what these
functions return. Every chart also gets a one-sentence summary and an HTML
table of its data (its text alternative, WCAG 1.1.1).
"""

from __future__ import annotations

from typing import Any

from bokeh_app import gauge
from bokeh_app.i18n import (
    fmt_number,
    fmt_percent,
    fmt_score,
    risk_label,
    t,
)
from bokeh_app.panel_base import details, esc, html_table  # noqa: F401 - views.esc etc. for callers
from scoring.service.protocol import (
    Explanation,
    Score,
    points_from_probability,
    risk_band_edges,
)

#: Index of the band edge that is the decision threshold (levels 0-3 lie below it).
THRESHOLD_EDGE = 4
ICON_GRANTED = "✓"
ICON_REFUSED = "✗"
#: Profile keys that are identifiers, not facts to show.
_PROFILE_SKIP = {"client_id", "SK_ID_CURR", "lang", "sample", "SAMPLE", "sample_label"}


# --------------------------------------------------------------------------- html helpers

def summary_html(sentence: str, lang: str) -> str:
    return f'<p class="chart-summary">{esc(t("summary_label", lang, text=sentence))}</p>'


def two_lines(text: str) -> str:
    """Break a short phrase at the space nearest its middle (chart labels stay narrow at 200 %)."""
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    if not spaces:
        return text
    cut = min(spaces, key=lambda i: abs(i - len(text) / 2))
    return text[:cut] + "\n" + text[cut + 1:]


def decision_words(refused: bool, lang: str) -> str:
    """The decision in words, exactly "Crédit accordé" / "Crédit refusé" (or the English)."""
    return t("decision_refused" if refused else "decision_granted", lang)


def decision_text(refused: bool, lang: str) -> str:
    """The decision with its icon (a second, colour-free signal): "✗ Crédit refusé"."""
    return f"{ICON_REFUSED if refused else ICON_GRANTED} {decision_words(refused, lang)}"


def distance_text(score: Score, lang: str) -> str:
    """How far the score lies from the threshold, in score points, on the decision's side
    (refused iff the probability reaches the threshold, i.e. the score is at or below it)."""
    gap = score.points - score.threshold_points  # > 0 on the granted side
    shown = round(abs(gap))
    if shown == 0:  # rounds to zero: say on which side, as the rule decides
        return t("score_distance_at" if score.refused else "score_distance_just_above", lang)
    return t("score_distance_below" if score.refused else "score_distance_above", lang,
             points=fmt_score(abs(gap), lang))


# --------------------------------------------------------------------------- gauge / score

def gauge_static(threshold: float, lang: str) -> dict[str, Any]:
    """Everything on the gauge that depends only on the threshold and the language: bands, the
    score at each inner band edge (the two ends are 0 % and 100 %, infinite scores), the threshold."""
    labels = [risk_label(i, lang) for i in range(gauge.N_BANDS)]
    edges = risk_band_edges(threshold)
    ticks = ["", *(fmt_number(points_from_probability(e), lang) for e in edges[1:-1]), ""]
    ticks[THRESHOLD_EDGE] = ""  # the threshold has its own, bold label
    mark = gauge.threshold_mark(threshold)
    return {
        "bands": gauge.band_data(threshold, labels),
        "ticks": gauge.tick_data(threshold, ticks),
        "threshold": mark,
        "threshold_label": {
            "x": [mark["x1"][0]], "y": [mark["y1"][0] + 0.04],
            "text": [t("gauge_threshold_label", lang, value=fmt_number(points_from_probability(threshold), lang))],
        },
    }


def band_table(threshold: float, level: int | None, lang: str) -> str:
    """The gauge's data as a table: each level with its score and probability ranges, the client's marked."""
    edges = risk_band_edges(threshold)
    scores = [fmt_number(points_from_probability(e), lang) for e in edges]
    rows = []
    for i in range(gauge.N_BANDS):
        if i == 0:
            score_range = t("range_above", lang, low=scores[1])
        elif i == gauge.N_BANDS - 1:
            score_range = t("range_below", lang, high=scores[i])
        else:
            score_range = t("range", lang, low=scores[i + 1], high=scores[i])
        rows.append((risk_label(i, lang), score_range,
                     t("range", lang, low=fmt_percent(edges[i], lang), high=fmt_percent(edges[i + 1], lang)),
                     t("client_here", lang) if level == i else ""))
    return html_table(t("gauge_table_caption", lang),
                      [t("col_level", lang), t("col_score", lang), t("col_probability", lang),
                       t("col_client", lang)],
                      rows)


def score_view(score: Score, lang: str) -> dict[str, Any]:
    """Texts and needle of the score panel for one client: the score and threshold in points."""
    level = risk_label(score.risk_level, lang)
    decision = decision_text(score.refused, lang)
    words = decision_words(score.refused, lang)
    icon = ICON_REFUSED if score.refused else ICON_GRANTED
    distance = distance_text(score, lang)
    points = fmt_score(score.points, lang)
    threshold = fmt_score(score.threshold_points, lang)
    probability = fmt_percent(score.probability, lang)
    css = "refused" if score.refused else "granted"
    decision_html = (
        f'<p class="decision decision-{css}"><span class="decision-icon" aria-hidden="true">'
        f"{esc(icon)}</span> {esc(words)}</p>"
        f'<ul class="score-facts">'
        f"<li>{esc(t('score_points', lang, value=points))}</li>"
        f"<li>{esc(t('threshold_points', lang, value=threshold))}</li>"
        f"<li>{esc(distance)}</li>"
        f"<li>{esc(t('risk_level', lang, level=level, step=score.risk_level + 1))}</li>"
        f"<li>{esc(t('probability', lang, value=probability))}</li>"
        f"</ul>"
    )
    sentence = t("gauge_summary", lang, client_id=score.client_id, points=points, distance=distance,
                 threshold=threshold, level=level, decision=words, probability=probability)
    return {
        "decision": decision,
        "decision_html": decision_html,
        "points_text": points,
        "probability_text": probability,
        "level_text": level,
        "distance_text": distance,
        "needle": gauge.needle(score.probability, score.threshold),
        "centre": {"x": [0.0], "y": [-0.2], "text": [points]},
        "summary": sentence,
        "table_html": band_table(score.threshold, score.risk_level, lang),
    }


def empty_score_view(threshold: float | None, lang: str) -> dict[str, Any]:
    """The score panel before any client is opened."""
    return {
        "decision": "",
        "decision_html": f'<p class="muted">{esc(t("no_client", lang))}</p>',
        "points_text": "",
        "probability_text": "",
        "level_text": "",
        "distance_text": "",
        "needle": gauge.needle(None, threshold or 0.5),
        "centre": {"x": [], "y": [], "text": []},
        "summary": t("no_client", lang),
        "table_html": band_table(threshold, None, lang) if threshold is not None else "",
    }


# --------------------------------------------------------------------------- model section

def unique_factors(labels: list[str]) -> list[str]:
    """Factor names must be unique: repeat a label with a zero-width suffix if needed."""
    seen: dict[str, int] = {}
    out = []
    for lab in labels:
        n = seen.get(lab, 0)
        seen[lab] = n + 1
        out.append(lab + "\u200b" * n)
    return out


def global_view(expl: Explanation, top: int, lang: str) -> dict[str, Any]:
    """Global importance (mean size of a contribution, in score points) of the top features, each with
    its local rank for the client."""
    local_rank = {c.feature: i + 1 for i, c in enumerate(expl.contributions)}
    items = sorted(expl.global_importance, key=lambda g: g.rank)[:top]
    client_id = expl.score.client_id
    none = t("not_in_top", lang)
    local = [str(local_rank[g.feature]) if g.feature in local_rank else none for g in items]
    values = [float(g.mean_abs_points) for g in items]
    span = max(values, default=1.0) or 1.0
    data = {
        "factor": unique_factors([g.label for g in items]),
        "value": values,
        "global_rank": [g.rank for g in items],
        "local_rank": local,
        "bar_text": [t("global_bar_label", lang, global_rank=g.rank, local_rank=lr)
                     for g, lr in zip(items, local)],
        "text_x": [v + span * 0.03 for v in values],
    }
    if items:
        n_shared = sum(g.feature in local_rank for g in items)
        sentence = t("global_summary", lang, top_label=items[0].label, n_shared=n_shared,
                     n=len(items), client_id=client_id)
    else:
        sentence = t("global_summary_empty", lang)
    table = html_table(
        t("global_table_caption", lang, client_id=client_id),
        [t("col_feature", lang), t("col_global_rank", lang), t("col_local_rank", lang),
         t("col_importance", lang)],
        [(g.label, str(g.rank), lr, fmt_number(g.mean_abs_points, lang, 1)) for g, lr in zip(items, local)])
    return {
        "data": data,
        "factors": list(reversed(data["factor"])),
        "x_range": (0.0, span * 2.2),
        "summary": sentence,
        "table_html": table,
    }


# --------------------------------------------------------------------------- profile

def _fact_rows(profile: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """(label, display value) pairs from a profile, whatever list or mapping form it has."""
    missing = t("missing_value", lang)

    def from_item(key: str, item: Any) -> tuple[str, str]:
        if isinstance(item, dict):
            label = item.get("label") or item.get("name") or item.get("feature") or key
            shown = item.get("display_value", item.get("display", item.get("value")))
            return str(label), missing if shown in (None, "") else str(shown)
        return str(key), missing if item in (None, "") else str(item)

    for key in ("facts", "items", "fields", "features"):
        value = profile.get(key)
        if isinstance(value, list):
            return [from_item(str(i), item) for i, item in enumerate(value)]
        if isinstance(value, dict):
            return [from_item(k, v) for k, v in value.items()]
    return [from_item(k, v) for k, v in profile.items() if k not in _PROFILE_SKIP]


def profile_view(profile: dict[str, Any], client_id: int, lang: str) -> str:
    """The client's key facts as an accessible two-column table."""
    rows = _fact_rows(profile, lang)
    caption = t("profile_caption", lang, client_id=client_id)
    if profile.get("sample_label"):
        caption += f" ({profile['sample_label']})"
    return html_table(caption,
                      [t("col_field", lang), t("col_value", lang)], rows)
