"""The one interface through which the dashboard (and anything else) talks to scoring.

Two implementations honour it: in-process (the default, reading the shared
artefacts directly) and HTTP (a client of the scoring API, used when
SCORING_API_URL is set). Results are plain dataclasses of JSON values (no
numpy, None for a missing number) so that both give identical, comparable
values; `to_dict` gives their JSON form.

Besides one client's score, explanation and what-if, the protocol serves
what the dashboard's population sections draw (feature list, comparison
histograms, scatter sample, selection summaries) and the what-if form's
fields and checks, so that a dashboard talking to a remote API needs no
local artefact at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from scoring.errors import UnknownClient  # noqa: F401 - part of the protocol clients catch

# The decision vocabulary every client of the service speaks: the one rule, the seven risk levels
# and their band edges (so a front end draws and words the decision exactly as the service decides).
from scoring.model.decision import (  # noqa: F401 - re-exported for the service's clients
    RISK_LEVEL_KEYS,
    distance_to_threshold_points,
    is_refused,
    refused,
    risk_band_edges,
)

# The score in points (higher is safer), the one unit advisors read: scale and conversions.
from scoring.model.points import (  # noqa: F401 - re-exported for the service's clients
    contribution_points,
    points_from_logodds,
    points_from_probability,
)


@dataclass(frozen=True)
class Score:
    """One client's score and the decision it leads to."""

    client_id: int | None
    probability: float
    threshold: float
    refused: bool
    risk_level: int  # 0 (very low) .. 6 (very high), see scoring.model.decision
    model_version: str

    @property
    def points(self) -> float:
        """The score in points (higher is safer; scoring.model.points)."""
        return points_from_probability(self.probability)

    @property
    def threshold_points(self) -> float:
        """The threshold in points: refused iff points <= threshold_points."""
        return points_from_probability(self.threshold)


@dataclass(frozen=True)
class Contribution:
    """One feature's SHAP contribution (log-odds), with what an advisor reads."""

    feature: str  # feature column name (key into the catalogue)
    label: str  # readable label in the requested language
    value: Any  # the client's feature value, JSON-serialisable (None when missing)
    display_value: str  # value formatted for the requested language and unit
    shap: float  # > 0 pushes toward refusal, < 0 toward acceptance

    @property
    def points(self) -> float:
        """The contribution in score points (> 0 toward acceptance)."""
        return contribution_points(self.shap)


@dataclass(frozen=True)
class GlobalImportance:
    feature: str
    label: str
    mean_abs_shap: float
    rank: int  # 1 = most important over all clients

    @property
    def mean_abs_points(self) -> float:
        """Mean size of the feature's contribution, in score points."""
        return abs(contribution_points(self.mean_abs_shap))


@dataclass(frozen=True)
class ConceptFeature:
    """One feature inside a concept, with the client's value and its contribution in points."""

    feature: str
    label: str
    value: Any  # JSON-serialisable (None when missing)
    display_value: str
    points: float  # > 0 toward acceptance, < 0 toward refusal


@dataclass(frozen=True)
class ConceptContribution:
    """One concept (scoring.text.concepts): the sum of its features' contributions, in points."""

    concept: str  # concept key
    label: str
    points: float  # > 0 toward acceptance, < 0 toward refusal
    protected: bool  # never a reason given to a client
    features: list[ConceptFeature]  # every feature of the concept, largest |points| first


@dataclass(frozen=True)
class PrincipalReason:
    """A concept given as a reason (refused client) or a strength (granted client), in words."""

    concept: str
    label: str
    points: float
    sentence: str  # plain sentence with the client's own value of `feature`
    feature: str  # the concept's most telling feature for this client
    display_value: str


@dataclass(frozen=True)
class DataWarning:
    """Values the model has not seen (scoring.service.novelty): the score stands, with less certainty."""

    kind: str  # "range": beyond the training clients' 0.5-99.5 % range; "combination": far from all of them
    fields: list[str]  # feature columns concerned, most unusual first
    labels: list[str]  # their readable names in the requested language
    message: str  # one sentence naming them (and, for "range", the values and the range seen)


@dataclass(frozen=True)
class Explanation:
    """Top contributions for one client, the rest summed, and the global view.

    `concepts` holds every concept, so base_points + sum of their points equals
    score.points; `principal_reasons` are at most four non-protected concepts
    (toward refusal for a refused client, strengths for a granted one), and
    `protected_withheld` says that a protected concept would have ranked among them.
    """

    score: Score
    base_value: float
    contributions: list[Contribution]  # top N by |shap|, largest first
    other_factors: float  # sum of the remaining contributions
    global_importance: list[GlobalImportance] = field(default_factory=list)
    warnings: list[DataWarning] = field(default_factory=list)  # an edited or new record's unusual values
    concepts: list[ConceptContribution] = field(default_factory=list)  # largest |points| first
    principal_reasons: list[PrincipalReason] = field(default_factory=list)
    protected_withheld: bool = False

    @property
    def base_points(self) -> float:
        """The starting score every client's concepts add to (the base value in points)."""
        return points_from_logodds(self.base_value)


@dataclass(frozen=True)
class WhatIf:
    """A re-scored edited client next to the original."""

    before: Explanation
    after: Explanation
    overrides: dict[str, Any]

    @property
    def warnings(self) -> list[DataWarning]:
        """The edited values the model has not seen (a client's own values are never flagged)."""
        return self.after.warnings


@dataclass(frozen=True)
class RecourseOption:
    """A change of actionable fields only, re-scored through the what-if path (scoring.service.recourse)."""

    kind: str  # "amount_same_duration", "longer_duration", "combined", ... (guidance.KIND_LABELS)
    changes: dict[str, Any]  # raw field -> new raw value: exactly the what-if overrides that apply it
    probability: float  # the re-scored probability of default
    refused: bool  # always False for an option offered
    label: str  # short title, in the requested language
    sentence: str  # every change (before -> after) and the outcome, in the requested language


@dataclass(frozen=True)
class Recourse:
    """What would change the decision: options for a refused client, the margin of a granted one."""

    client_id: int
    probability: float
    threshold: float
    refused: bool
    margin: float  # threshold - probability: > 0 granted with that margin, <= 0 refused
    options: list[RecourseOption]  # refused: up to 3 ways to a grant, most natural first; granted: []
    headroom: RecourseOption | None  # granted: the largest amount still granted over the same duration
    summary: str  # the decision's distance to the threshold (and whether options exist), in words


# -- population ----------------------------------------------------------------------------
@dataclass(frozen=True)
class FeatureMeta:
    """A feature a population section may offer, with what a select box shows."""

    name: str
    kind: str  # "numeric" | "categorical"
    labels: dict[str, str]  # {"fr": ..., "en": ...}
    group: str  # catalogue group key
    protected: bool


@dataclass(frozen=True)
class FeatureGroup:
    key: str
    labels: dict[str, str]  # {"fr": ..., "en": ...}


@dataclass(frozen=True)
class PopulationInfo:
    """What can be compared: the features, their groups and the population's size and threshold."""

    n_clients: int
    threshold: float
    features: list[FeatureMeta]
    groups: list[FeatureGroup]  # display order
    importance: list[str]  # feature names, most important first
    comparison_groups: list[str]  # "all", "gender", "age_band", "similar", "granted_refused"
    probability_p99: float  # 99th percentile of the predicted probability (colour scales)


@dataclass(frozen=True)
class Subgroup:
    """One drawn distribution of a comparison and the client's place in it."""

    key: str  # "all" | "gender" | "age_band" | "similar" | "granted" | "refused"
    size: int  # clients in the sub-group (missing values included)
    counts: list[int]  # per bin (numeric) or per category (categorical); missing values left out
    share_below: float | None  # numeric: % of known values below the client's; categorical: % sharing its category
    share_equal: float | None  # numeric: % of known values equal to the client's; categorical: None
    age_band: list[int] | None = None  # [lo, hi) in years, for the "age_band" sub-group


@dataclass(frozen=True)
class Comparison:
    """A feature's distribution over the comparison group(s) and where the client stands."""

    feature: str
    kind: str  # "numeric" | "categorical"
    group: str
    client_id: int | None
    edges: list[float]  # numeric: bin edges (one more than the counts); categorical: []
    values: list[float] | None  # numeric with few distinct values: the value of each bar
    categories: list[str]  # categorical: category of each bar; numeric: []
    subgroups: list[Subgroup]
    client_value: float | str | None  # None when missing (or without a client)
    client_x: float | None  # the marker: value clipped into the axis, or the category's bar index


@dataclass(frozen=True)
class ScatterPoint:
    client_id: int
    x: float | None
    y: float | None
    probability: float
    refused: bool


@dataclass(frozen=True)
class Quintile:
    """Clients within one quintile of the horizontal feature (whole population)."""

    lo: float
    hi: float
    count: int
    mean_y: float | None
    mean_probability: float | None


@dataclass(frozen=True)
class ScatterSample:
    """A deterministic, risk-stratified sample of two features (the client included when drawable)."""

    x: str
    y: str
    client_ids: list[int]
    xs: list[float]
    ys: list[float]
    probability: list[float]
    refused: list[bool]
    n_clients: int  # the whole population
    client: ScatterPoint | None  # the client's own values (None values when missing)
    x_range: list[float]  # displayed range of each axis (0.5 %-99.5 % quantiles)
    y_range: list[float]
    quintiles: list[Quintile]


@dataclass(frozen=True)
class SelectionStats:
    count: int
    train_count: int  # clients with a known outcome
    default_rate: float | None  # observed, among train clients
    mean_probability: float | None
    share_refused: float | None
    histogram: list[int]  # predicted probability per bin of Selection.edges


@dataclass(frozen=True)
class Selection:
    """A selection of clients next to the whole population (everyone when nothing is selected)."""

    edges: list[float]
    selection: SelectionStats
    population: SelectionStats
    everyone: bool


# -- what-if form ----------------------------------------------------------------------------
@dataclass(frozen=True)
class FormField:
    """One editable application field in display units, with the client's current value
    (protected attributes are never editable, so never a form field)."""

    name: str  # raw application column
    labels: dict[str, str]  # {"fr": ..., "en": ...}
    kind: str  # "int" | "float" | "category"
    unit: str  # display unit (catalogue UNITS key)
    minimum: float | None
    maximum: float | None
    categories: list[str]
    required: bool  # an empty value is refused
    feature: str  # the feature column that shows it
    default: Any  # the client's current value in display units (None when missing)


@dataclass(frozen=True)
class WhatIfForm:
    client_id: int | None  # None: the fields without a client's values
    threshold: float
    fields: list[FormField]


@dataclass(frozen=True)
class OverrideCheck:
    """Edited values checked once: the valid ones in both units, a message per invalid one."""

    raw: dict[str, Any]
    display: dict[str, Any]
    errors: dict[str, str]


def region_contains(region: Mapping[str, Any], xs: Any, ys: Any) -> np.ndarray:
    """Boolean mask of the points inside a Bokeh selection geometry (rect, poly or span).

    The lasso ("poly") uses the even-odd rule, vectorised over the points
    inside the polygon's bounding box only. Shared by the service (every
    population client) and the dashboard (the sampled points it shows).
    """
    xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    kind = region.get("type")
    ok = np.isfinite(xs) & np.isfinite(ys)
    if kind == "rect":
        x0, x1 = sorted((region["x0"], region["x1"]))
        y0, y1 = sorted((region["y0"], region["y1"]))
        return ok & (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)
    if kind == "span":
        if region.get("direction", "h") == "h":
            x0, x1 = sorted((region["x0"], region["x1"]))
            return ok & (xs >= x0) & (xs <= x1)
        y0, y1 = sorted((region["y0"], region["y1"]))
        return ok & (ys >= y0) & (ys <= y1)
    if kind == "poly":
        return ok & _in_polygon(xs, ys, np.asarray(region["x"], dtype=np.float64),
                                np.asarray(region["y"], dtype=np.float64))
    raise ValueError(f"unsupported selection geometry {kind!r}")


def _in_polygon(xs: np.ndarray, ys: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    mask = np.zeros(xs.shape, dtype=bool)
    if px.size < 3:
        return mask
    with np.errstate(invalid="ignore"):
        cand = np.flatnonzero((xs >= px.min()) & (xs <= px.max()) & (ys >= py.min()) & (ys <= py.max()))
    cx, cy = xs[cand], ys[cand]
    inside = np.zeros(cand.size, dtype=bool)
    for ax, ay, bx, by in zip(px, py, np.roll(px, 1), np.roll(py, 1), strict=True):
        crosses = (ay > cy) != (by > cy)
        with np.errstate(divide="ignore", invalid="ignore"):
            xint = (bx - ax) * (cy - ay) / (by - ay) + ax
        inside ^= crosses & (cx < xint)
    mask[cand] = inside
    return mask


def to_dict(result: Any) -> dict[str, Any]:
    """JSON-ready form of any result above."""
    return asdict(result)


class InvalidQuery(ValueError):
    """A population query names an unknown feature, group or region (the API answers 422).

    `errors` maps each parameter name to a readable message.
    """

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class InvalidOverride(ValueError):
    """An edited field is unknown, not editable, of the wrong type or out of range.

    `errors` maps each field name to a readable message (the API answers 422).
    """

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class KnownClient(ValueError):
    """A new applicant's record carries the SK_ID_CURR of a client the service already knows
    (the API answers 409): its score would be logged under that client. An existing client's
    application is edited with `what_if` instead."""

    def __init__(self, client_id: int, message: str):
        super().__init__(message)
        self.client_id = client_id


@runtime_checkable
class ScoringClient(Protocol):
    """What the dashboard needs from scoring; see InProcessClient and HttpClient."""

    def health(self) -> dict[str, Any]: ...

    def client_ids(self) -> list[int]: ...

    def profile(self, client_id: int, lang: str = "fr") -> dict[str, Any]: ...

    def score(self, client_id: int) -> Score: ...

    def explanation(self, client_id: int, top: int = 10, lang: str = "fr") -> Explanation: ...

    def what_if(
        self, client_id: int, overrides: dict[str, Any], top: int = 10, lang: str = "fr"
    ) -> WhatIf: ...

    def recourse(self, client_id: int, lang: str = "fr") -> Recourse: ...

    # population sections (InvalidQuery for an unknown feature, group or region)
    def population(self) -> PopulationInfo: ...

    def comparison(self, feature: str, group: str = "all", client_id: int | None = None,
                   lang: str = "fr") -> Comparison: ...

    def scatter(self, x: str, y: str, client_id: int | None = None, max_points: int = 20_000,
                lang: str = "fr") -> ScatterSample: ...

    def selection(self, x: str | None = None, y: str | None = None,
                  region: Mapping[str, Any] | None = None, client_ids: Sequence[int] | None = None,
                  lang: str = "fr") -> Selection: ...

    # what-if form
    def what_if_form(self, client_id: int | None = None) -> WhatIfForm: ...

    def check_overrides(self, values: dict[str, Any], lang: str = "fr",
                        units: str = "display") -> OverrideCheck: ...

    # the data team's monitoring (scoring.monitoring.snapshot): fairness, drift, score over time
    def monitoring(self) -> dict[str, Any] | None: ...

    # the signed-in user: this client as one user's session uses it (what it scores and which
    # clients it opens are logged under `user`; None: no sign-in)
    def for_user(self, user: str | None) -> ScoringClient: ...
