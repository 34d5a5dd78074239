"""Pure view functions of "why this score": principal reasons, concept bars, concept details.

Everything is in score points (higher is safer): a concept drawn right of zero
raises the score (toward acceptance), left of zero lowers it (toward refusal,
hatched, "−" sign). The bars add up, with the starting score, to the client's
score: the chart's table says so in its last two rows. Protected concepts
(age, gender, family situation) are drawn in grey and marked †: they weigh in
the score but are never a reason given to the client.
"""

from __future__ import annotations

from typing import Any

from bokeh_app import palette
from bokeh_app.i18n import fmt_score, t
from bokeh_app.panel_base import esc, html_table
from bokeh_app.views import two_lines, unique_factors
from scoring.service.protocol import ConceptContribution, Explanation

#: The top row of the concept chart, which names both sides (blank on the axis).
HEADER_FACTOR = "\u2063"
#: Marks a protected concept (never a reason nor a recourse); the reading note explains it.
PROTECTED_MARK = "\u2020"


def concept_label(concept: ConceptContribution) -> str:
    """The concept's label, marked † when it is protected."""
    return f"{concept.label} {PROTECTED_MARK}" if concept.protected else concept.label


def _direction(points: float, lang: str) -> str:
    return t("toward_acceptance" if points > 0 else "toward_refusal" if points < 0 else "no_effect", lang)


def reasons_html(expl: Explanation, lang: str) -> str:
    """The principal reasons as sentences an advisor can say (refusal reasons or strengths), with
    their weight in points, and the note when a protected concept was left out."""
    refused = expl.score.refused
    title = t("reasons_refused_title" if refused else "reasons_granted_title", lang)
    items = "".join(
        f'<li><span class="reason-sentence">{esc(r.sentence)}</span> '
        f'<span class="reason-points">({esc(fmt_score(r.points, lang, signed=True))})</span></li>'
        for r in expl.principal_reasons)
    body = (f'<ol class="reasons">{items}</ol>' if items
            else f'<p class="muted">{esc(t("reasons_none", lang))}</p>')
    note = (f'<p class="note reasons-withheld">{esc(t("reasons_withheld", lang))}</p>'
            if expl.protected_withheld else "")
    return f'<h3 id="reasons-title">{esc(title)}</h3>{body}{note}'


def concepts_view(expl: Explanation, lang: str) -> dict[str, Any]:
    """Bars of every concept in points (largest at the top), with summary sentence and table."""
    items = list(expl.concepts)
    client_id = expl.score.client_id
    points = [float(k.points) for k in items]
    factors = unique_factors([concept_label(k) for k in items])
    span = max((abs(p) for p in points), default=1.0) or 1.0
    pad = span * 0.03
    data = {
        "factor": factors,
        "points": points,
        "left": [min(p, 0.0) for p in points],
        "right": [max(p, 0.0) for p in points],
        "colour": [palette.OTHER_FACTORS if k.protected else palette.ACCEPTANCE if p > 0 else palette.REFUSAL
                   for k, p in zip(items, points, strict=True)],
        "hatch": [palette.REFUSAL_HATCH if p < 0 else " " for p in points],
        "value_text": [fmt_score(p, lang, signed=True, unit=False) for p in points],
        "text_x": [p + pad if p >= 0 else p - pad for p in points],
        "text_align": ["left" if p >= 0 else "right" for p in points],
        "direction": [_direction(p, lang) for p in points],
    }
    lowering = [k for k in items if k.points < 0]
    if items:
        top = items[0]
        sentence = t("concepts_summary", lang, client_id=client_id, base=fmt_score(expl.base_points, lang),
                     n_down=len(lowering), n_up=sum(k.points > 0 for k in items),
                     top_label=top.label, top_points=fmt_score(top.points, lang, signed=True),
                     score=fmt_score(expl.score.points, lang))
    else:
        sentence = t("concepts_summary_empty", lang)
    rows = [(str(i + 1), concept_label(k), fmt_score(k.points, lang, signed=True), _direction(k.points, lang))
            for i, k in enumerate(items)]
    if items:
        rows += [("", t("base_points_row", lang), fmt_score(expl.base_points, lang), ""),
                 ("", t("score_points_row", lang), fmt_score(expl.score.points, lang), "")]
    table = html_table(
        t("concepts_table_caption", lang, client_id=client_id),
        [t("col_rank", lang), t("col_concept", lang), t("col_points", lang), t("col_direction", lang)], rows)
    limit = span * 1.6
    header = {"x": [-pad, pad], "y": [HEADER_FACTOR, HEADER_FACTOR],
              "text": [two_lines(t("refusal_side_arrow", lang)), two_lines(t("acceptance_side_arrow", lang))],
              "align": ["right", "left"]}
    return {
        "data": data,
        "header": header,
        "factors": list(reversed(factors)),  # largest at the top
        "x_range": (-limit, limit),
        "summary": sentence,
        "table_html": table,
    }


def concept_details_html(expl: Explanation, lang: str) -> str:
    """One native disclosure per concept (keyboard-usable, no script): its features with the
    client's values and their points."""
    blocks = []
    for k in expl.concepts:
        summary = t("concept_summary", lang, label=concept_label(k), points=fmt_score(k.points, lang, signed=True))
        if k.features:
            inner = html_table(
                t("concept_table_caption", lang, label=k.label, client_id=expl.score.client_id),
                [t("col_feature", lang), t("col_client_value", lang), t("col_points", lang)],
                [(f.label, f.display_value, fmt_score(f.points, lang, signed=True)) for f in k.features])
        else:
            inner = f'<p class="muted">{esc(t("concept_unused", lang))}</p>'
        blocks.append(f'<details class="data-view concept"><summary>{esc(summary)}</summary>{inner}</details>')
    return f'<h3>{esc(t("concept_details_title", lang))}</h3>' + "".join(blocks)
