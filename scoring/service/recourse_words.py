"""The recourse's sentences: an option's changes (before → after) and outcome, the decision's margin.

Kept apart from the search (`scoring.service.recourse`); the templates are in
`scoring.text.guidance`, the numbers formatted by `scoring.text.formatting`.
"""

from __future__ import annotations

from typing import Any

from scoring.model.points import points_from_probability
from scoring.service.lang import pick
from scoring.text import catalogue, formatting
from scoring.text.guidance import KIND_LABELS, TEXT

AMOUNT, INSTALMENT, GOODS = "AMT_CREDIT", "AMT_ANNUITY", "AMT_GOODS_PRICE"


def option(kind: str, changes: dict[str, float], record: dict[str, Any], probability: float, threshold: float,
           lang: str, *, at_limit: bool = False) -> tuple[str, str]:
    """(short title, sentence): every changed field from → to, then the re-scored outcome."""
    order = [name for name in catalogue.RAW_FIELDS if name in changes]
    parts = [pick(TEXT["change"], lang, label=catalogue.label(name, lang),
                  old=catalogue.format_value(name, record.get(name), lang),
                  new=catalogue.format_value(name, changes[name], lang)) for name in order]
    text = (" ; " if lang == "fr" else "; ").join(parts)
    credit, goods = changes.get(AMOUNT), changes.get(GOODS, record.get(GOODS))
    if kind == "down_payment" and credit is not None and goods is not None and goods > credit:
        text += " (" + pick(TEXT["down_payment"], lang, amount=formatting.format_currency(goods - credit, lang),
                            goods=formatting.format_currency(goods, lang)) + ")"
    outcome = "headroom_outcome" if kind == "headroom" else "outcome"
    sentence = f"{text}. " + pick(TEXT[outcome], lang, probability=formatting.format_percent(probability, lang),
                                  threshold=formatting.format_percent(threshold, lang))
    if at_limit:
        sentence += " " + pick(TEXT["headroom_limit"], lang)
    return pick(KIND_LABELS[kind], lang), sentence


def _points(value: float, lang: str, digits: int) -> str:
    plural = formatting.plural_category(round(value, digits), lang, digits) != "one"
    return pick(TEXT["gap_many" if plural else "gap_one"], lang, value=formatting.format_number(value, lang, digits))


def summary(probability: float, threshold: float, refused: bool, n_options: int, lang: str) -> str:
    """The decision's distance to the threshold in score points (the gauge's unit), and whether
    options exist."""
    score, line = float(points_from_probability(probability)), float(points_from_probability(threshold))
    values = {"probability": formatting.format_percent(probability, lang), "score": _points(score, lang, 0),
              "threshold": _points(line, lang, 0), "gap": _points(abs(score - line), lang, 1)}
    if not refused:
        return pick(TEXT["granted"], lang, **values)
    tail = (pick(TEXT["options_none"], lang) if n_options == 0 else pick(TEXT["options_one"], lang)
            if n_options == 1 else pick(TEXT["options_many"], lang, n=n_options))
    return pick(TEXT["refused"], lang, **values) + " " + tail
