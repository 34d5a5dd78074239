"""What would change the decision: concrete options for a refused client, the margin of a granted one.

An option changes only fields the catalogue marks editable and actionable and
not protected (`actionable_fields`: the amount asked, the instalment, the price
of the goods), keeps every other field as it is, and is offered only when

- its re-score, through the what-if path itself (`Case.verify`: the same
  feature function, model and SHAP sum as `what_if`), is granted;
- its values pass the what-if checks (`scoring.service.overrides`) and raise
  no unusual-value warning (`scoring.service.novelty`): every changed feature
  lies within the training clients' 0.5-99.5 % range and the combination is
  no farther from them than the client's own.

The search moves one factor per kind of option ("borrow less over the same
duration" scales the amount and the instalment together; "repay over a longer
period" lowers the instalment alone; "the smallest combined change" moves
both on a grid and keeps the granted point with the smallest relative change).
Each round scores every kind's candidates in one batched model call (the
what-if's features built for all of them at once); the next round refines
between the best granted point and its refused neighbour. The model is not
monotone, so a grid point is only ever a candidate: whatever is offered was
scored exactly as offered (amounts rounded to 100 €, instalments to 1 €).
A granted client gets its margin and the largest amount still granted over
the same duration (every grid point up to it granted).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from scoring.model.novelty import NoveltyReference
from scoring.service import novelty
from scoring.service import overrides as override_rules
from scoring.service import recourse_words as words
from scoring.service.lang import norm_lang
from scoring.service.protocol import DataWarning, Recourse, RecourseOption
from scoring.service.recourse_words import AMOUNT, GOODS, INSTALMENT
from scoring.text import catalogue

MAX_OPTIONS = 3
#: Search rounds (one batched re-score each), grid points per kind and round, 2-D grid side.
ROUNDS = 3
GRID = 12
GRID_REFINE = 8
GRID_2D = 7
#: A candidate counts as granted this far below the threshold only: the batched probability and
#: the what-if's (SHAP sum) may differ in the last digits.
SAFETY = 1e-6
#: Rounding step of each field's proposed value (euros).
STEPS = {AMOUNT: 100.0, GOODS: 100.0, INSTALMENT: 1.0}


@dataclass(frozen=True)
class Move:
    """A kind of option: the fields it scales together by one factor, and which way."""

    kind: str
    fields: tuple[str, ...]
    up: bool = False  # the factor grows from 1 (else it shrinks)


#: The kinds of one-factor options. The price of the goods follows the amount (when it is
#: known): in the training data a credit is never smaller than the goods it pays for, so keeping
#: the price while borrowing less (a down payment) is out of range unless the data says otherwise.
MOVES = (
    Move("amount_same_duration", (GOODS, AMOUNT, INSTALMENT)),
    Move("longer_duration", (INSTALMENT,)),
    Move("shorter_duration", (INSTALMENT,), up=True),
    Move("amount_same_instalment", (GOODS, AMOUNT)),
    Move("down_payment", (AMOUNT, INSTALMENT)),
)
HEADROOM = Move("headroom", (GOODS, AMOUNT, INSTALMENT), up=True)
#: The two-factor search: the amount (and the goods price) by one factor, the instalment by another.
COMBINED = ("combined", ((GOODS, AMOUNT), (INSTALMENT,)))
#: Fields left out of a change when the client's value is unknown (the others are required).
OPTIONAL = frozenset({GOODS})


@functools.cache
def actionable_fields() -> frozenset[str]:
    """Raw fields an option may change: editable, actionable and not protected in the catalogue."""
    out = set()
    for name, spec in catalogue.RAW_FIELDS.items():
        entry = catalogue.CATALOGUE.get(spec.feature or name)
        if entry is not None and entry.editable and entry.actionable and not entry.protected:
            out.add(name)
    return frozenset(out)


@dataclass
class Case:
    """One client, as the recourse search needs it (built by the in-process client)."""

    client_id: int
    record: dict[str, Any]  # the raw application record
    probability: float  # the served (cached) probability
    threshold: float
    features: Callable[[list[dict[str, Any]]], pl.DataFrame]  # the what-if's features, one row per change set
    predict: Callable[[pl.DataFrame], np.ndarray]  # the served model's probabilities
    reference: NoveltyReference
    baseline: pl.DataFrame  # the client's own feature row
    verify: Callable[[dict[str, Any]], tuple[float, list[DataWarning]]]  # the what-if path itself
    rescored: int = 0  # candidates scored (for benchmarks)

    @functools.cached_property
    def own(self) -> np.ndarray:
        return novelty.values_of(self.reference, self.baseline)[0]


@dataclass
class Trial:
    """A candidate: its factor(s), the changes it proposes and, once scored, whether it qualifies."""

    kind: str
    factor: tuple[float, ...]
    changes: dict[str, float]
    probability: float = math.nan
    ok: bool = False  # granted with the safety margin and no changed feature out of range

    @property
    def cost(self) -> float:
        """Relative size of the change (sum over the moved factors)."""
        return float(sum(abs(1.0 - f) for f in self.factor))


# -- candidates -------------------------------------------------------------------------------
def _value(record: dict[str, Any], name: str) -> float | None:
    value = record.get(name)
    if value is None or isinstance(value, str) or not math.isfinite(float(value)) or float(value) <= 0:
        return None
    return float(value)


def _changes(case: Case, groups: list[tuple[tuple[str, ...], float]]) -> dict[str, float] | None:
    """Each group's fields times the group's factor, rounded; None when nothing would change.

    Fields sharing a factor keep their proportions: the amount is rounded first and the others
    follow its rounded value (the same duration means the same instalment per euro borrowed)."""
    out: dict[str, float] = {}
    for fields, factor in groups:
        for name in sorted(fields, key=lambda n: n != AMOUNT):
            own = _value(case.record, name)
            if own is None:
                if name in OPTIONAL:
                    continue
                return None
            step = STEPS[name]
            new = float(round(own * factor / step) * step)
            if new <= 0:
                return None
            if name == AMOUNT:
                factor = new / own
            if new != own:
                out[name] = new
    return out or None


def _bounds(case: Case, fields: tuple[str, ...]) -> tuple[float, float] | None:
    """The factor range keeping every field within the training clients' range (and positive)."""
    lo, hi = 0.0, math.inf
    ref = case.reference
    for name in fields:
        own = _value(case.record, name)
        if own is None and name in OPTIONAL:
            continue
        if own is None or name not in ref.names:
            return None
        j = ref.names.index(name)
        low, high = float(ref.low[j]), float(ref.high[j])
        if not (math.isfinite(low) and math.isfinite(high)):
            return None
        lo, hi = max(lo, low / own), min(hi, high / own)
    return (lo, hi) if lo < hi else None


class _Line:
    """A one-factor search for the qualifying factor closest to 1 (for the headroom, `contiguous`:
    the farthest factor with every factor between 1 and it qualifying)."""

    def __init__(self, case: Case, move: Move, contiguous: bool = False):
        self.case, self.move, self.contiguous = case, move, contiguous
        self.best: Trial | None = None
        self.first = True
        self.failed = False  # contiguous: a non-qualifying factor was met
        self.unseen = False  # contiguous: ... because its values leave the training range, not refused
        bounds = _bounds(case, move.fields) if set(move.fields) <= actionable_fields() else None
        self.active = bounds is not None and (bounds[1] > 1.0 if move.up else bounds[0] < 1.0)
        # the next round searches strictly between `near` (closer to 1) and `far`
        self.near = 1.0
        self.limit = self.far = 1.0 if bounds is None else (bounds[1] if move.up else bounds[0])

    def candidates(self) -> list[Trial]:
        if not self.active:
            return []
        n = GRID if self.first else GRID_REFINE
        points = np.linspace(self.near, self.far, n + 1)[1:] if self.first else \
            np.linspace(self.near, self.far, n + 2)[1:-1]
        self.first = False
        trials, seen = [], set()
        for factor in points.tolist():
            changes = _changes(self.case, [(self.move.fields, factor)])
            key = None if changes is None else tuple(sorted(changes.items()))
            if key is not None and key not in seen:
                seen.add(key)
                trials.append(Trial(self.move.kind, (factor,), changes))
        self.active = bool(trials)
        return trials

    def update(self, trials: list[Trial]) -> None:
        if not trials:
            return
        ordered = sorted(trials, key=lambda t: abs(t.factor[0] - 1.0))
        if self.contiguous:
            failed = next((t for t in ordered if not t.ok), None)
            good = [t for t in ordered[:ordered.index(failed)] if t.ok] if failed else ordered
            if good:
                self.best, self.near = good[-1], good[-1].factor[0]
            if failed is None:
                self.active = self.failed  # all qualify: refine only below a known failure
            else:
                self.failed, self.far = True, failed.factor[0]
                self.unseen = failed.probability < self.case.threshold  # granted, but out of range
            return
        winner = next((t for t in ordered if t.ok), None)
        if winner is None:
            self.active = self.best is not None  # nothing on the first grid: no option of this kind
            closest = ordered[-1].factor[0] if self.best is not None else self.near
            self.near = closest
            return
        self.best = winner
        misses = [t.factor[0] for t in ordered if not t.ok and abs(t.factor[0] - 1.0) < abs(winner.factor[0] - 1.0)]
        self.near = misses[-1] if misses else self.near
        self.far = winner.factor[0]


class _Grid:
    """The smallest combined change: both factors move, the qualifying pair with the smallest
    relative change wins; each round refines around it with half the step."""

    def __init__(self, case: Case):
        self.case = case
        self.kind, self.groups = COMBINED
        fields = {name for group in self.groups for name in group}
        bounds = [_bounds(case, group) for group in self.groups] if fields <= actionable_fields() else [None]
        self.active = all(b is not None for b in bounds)
        self.best: Trial | None = None
        if self.active:
            (a_lo, a_hi), (b_lo, b_hi) = bounds  # type: ignore[misc]
            self.bounds = ((a_lo, min(a_hi, 1.0)), (b_lo, b_hi))
            self.steps = ((1.0 - a_lo) / (GRID_2D - 1), (b_hi - b_lo) / (GRID_2D - 1))
            self.active = a_lo < 1.0

    def candidates(self) -> list[Trial]:
        if not self.active:
            return []
        (a_lo, a_hi), (b_lo, b_hi) = self.bounds
        if self.best is None:
            axes = (np.linspace(a_lo, a_hi, GRID_2D), np.linspace(b_lo, b_hi, GRID_2D))
        else:
            centre = self.best.factor
            axes = tuple(np.clip(centre[i] + self.steps[i] * np.arange(-2, 3), *self.bounds[i]) for i in (0, 1))
        trials, seen = [], set()
        for a in np.unique(axes[0]):
            for b in np.unique(axes[1]):
                changes = _changes(self.case, [(self.groups[0], float(a)), (self.groups[1], float(b))])
                if changes is None or AMOUNT not in changes or INSTALMENT not in changes:
                    continue  # one factor alone is another kind of option
                key = tuple(sorted(changes.items()))
                if key not in seen:
                    seen.add(key)
                    trials.append(Trial(self.kind, (float(a), float(b)), changes))
        return trials

    def update(self, trials: list[Trial]) -> None:
        ok = [t for t in trials if t.ok]
        if ok:
            winner = min(ok, key=lambda t: (t.cost, t.factor))
            if self.best is None or winner.cost < self.best.cost:
                self.best = winner
        elif self.best is None:
            self.active = False
            return
        self.steps = (self.steps[0] / 2.0, self.steps[1] / 2.0)


# -- scoring the candidates ---------------------------------------------------------------------
def _score(case: Case, trials: list[Trial]) -> None:
    """One batched re-score of every candidate (the what-if's features, the served model)."""
    if not trials:
        return
    frame = case.features([t.changes for t in trials])
    probability = np.asarray(case.predict(frame), dtype=np.float64)
    values = novelty.values_of(case.reference, frame)
    in_range = ~novelty.out_of_range(case.reference, values, case.own).any(axis=1)
    case.rescored += len(trials)
    for trial, p, fits in zip(trials, probability.tolist(), in_range.tolist(), strict=True):
        trial.probability = p
        trial.ok = bool(fits) and p <= case.threshold - SAFETY


def _search(case: Case, searches: list[Any]) -> None:
    for _round in range(ROUNDS):
        batch = [(s, s.candidates()) for s in searches if s.active]
        _score(case, [t for _s, trials in batch for t in trials])
        for search, trials in batch:
            search.update(trials)


# -- offering -----------------------------------------------------------------------------------
def _qualifies(case: Case, trial: Trial, lang: str) -> float | None:
    """The option's probability through the what-if path, if it passes every what-if check, is
    granted and raises no warning; else None."""
    _clean, errors = override_rules.validate(trial.changes, lang, units="raw")
    if errors:
        return None
    probability, warnings = case.verify(trial.changes)
    if warnings or probability >= case.threshold:
        return None
    return probability


def _size(case: Case, trial: Trial) -> float:
    """Relative change of the amount plus that of the instalment (how much the client's credit moves)."""
    total = 0.0
    for name in (AMOUNT, INSTALMENT):
        own = _value(case.record, name)
        if own is not None and name in trial.changes:
            total += abs(trial.changes[name] / own - 1.0)
    return total


def _ordered(found: dict[str, Trial]) -> list[Trial]:
    """Offer order: less borrowed first, then the duration kind with the smaller change, then the
    combined change, then the rest."""
    durations = sorted((found[k] for k in ("longer_duration", "shorter_duration") if k in found),
                       key=lambda t: t.cost)
    order = [found.get("amount_same_duration"), *durations[:1], found.get("combined"),
             found.get("amount_same_instalment"), found.get("down_payment"), *durations[1:]]
    return [t for t in order if t is not None]


def recourse(case: Case, lang: str = "fr") -> Recourse:
    """The client's options (refused) or margin and headroom (granted), offered as described above."""
    lang = norm_lang(lang)
    refused = case.probability >= case.threshold
    options: list[RecourseOption] = []
    headroom = None
    if refused:
        lines: list[Any] = [_Line(case, move) for move in MOVES]
        grid = _Grid(case)
        _search(case, [*lines, grid])
        found = {s.move.kind: s.best for s in lines if s.best is not None}
        if grid.best is not None and all(_size(case, grid.best) < _size(case, t) for t in found.values()):
            found["combined"] = grid.best  # only when smaller than every single-kind option
        seen: set[tuple] = set()
        for trial in _ordered(found):
            key = tuple(sorted(trial.changes.items()))
            if key in seen or len(options) == MAX_OPTIONS:
                continue
            probability = _qualifies(case, trial, lang)
            if probability is not None:
                seen.add(key)
                options.append(_option(case, trial, probability, lang))
    else:
        line = _Line(case, HEADROOM, contiguous=True)
        _search(case, [line])
        if line.best is not None:
            probability = _qualifies(case, line.best, lang)
            if probability is not None:
                headroom = _option(case, line.best, probability, lang, at_limit=line.unseen or not line.failed)
    margin = case.threshold - case.probability
    return Recourse(client_id=case.client_id, probability=case.probability, threshold=case.threshold,
                    refused=refused, margin=margin, options=options, headroom=headroom,
                    summary=words.summary(case.probability, case.threshold, refused, len(options), lang))


def _option(case: Case, trial: Trial, probability: float, lang: str, *, at_limit: bool = False) -> RecourseOption:
    label, sentence = words.option(trial.kind, trial.changes, case.record, probability, case.threshold, lang,
                                   at_limit=at_limit)
    return RecourseOption(kind=trial.kind, changes=dict(trial.changes), probability=float(probability),
                          refused=False, label=label, sentence=sentence)




__all__ = ["MAX_OPTIONS", "MOVES", "Case", "Move", "actionable_fields", "recourse"]
