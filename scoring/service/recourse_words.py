"""The recourse's sentences: an option's changes (before → after) and outcome, the decision's margin.

Kept apart from the search (`scoring.service.recourse`); the templates are in
`scoring.text.guidance`, the numbers formatted by `scoring.text.formatting`.
"""

from __future__ import annotations

from typing import Any

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


def summary(probability: float, threshold: float, refused: bool, n_options: int, lang: str) -> str:
    """The decision's distance to the threshold in percentage points, and whether options exist."""
    gap_value = abs(threshold - probability) * 100.0
    plural = formatting.plural_category(round(gap_value, 1), lang, 1) != "one"
    gap = pick(TEXT["gap_many" if plural else "gap_one"], lang, value=formatting.format_number(gap_value, lang, 1))
    values = {"probability": formatting.format_percent(probability, lang),
              "threshold": formatting.format_percent(threshold, lang), "gap": gap}
    if not refused:
        return pick(TEXT["granted"], lang, **values)
    tail = (pick(TEXT["options_none"], lang) if n_options == 0 else pick(TEXT["options_one"], lang)
            if n_options == 1 else pick(TEXT["options_many"], lang, n=n_options))
    return pick(TEXT["refused"], lang, **values) + " " + tail
