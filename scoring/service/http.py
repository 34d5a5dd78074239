"""The HTTP ScoringClient: the dashboard's client of the scoring API (when SCORING_API_URL is set).

It answers with the same dataclasses, values and exceptions as
`InProcessClient` (a contract test runs one suite against both): 404 becomes
`UnknownClient`, a 422 on a body becomes `InvalidOverride` with the API's
per-field messages, a 422 on `top` becomes `ValueError`; anything else that
goes wrong becomes `ScoringAPIError`, whose message never holds a server
traceback (the API does not send one).
"""

from __future__ import annotations

import copy
import json as jsonlib
import os
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from scoring.security.web import USER_HEADER
from scoring.service.protocol import (
    Comparison,
    ConceptContribution,
    ConceptFeature,
    Contribution,
    DataWarning,
    Explanation,
    FeatureGroup,
    FeatureMeta,
    FormField,
    GlobalImportance,
    InvalidOverride,
    InvalidQuery,
    KnownClient,
    OverrideCheck,
    PopulationInfo,
    PrincipalReason,
    Quintile,
    Recourse,
    RecourseOption,
    ScatterPoint,
    ScatterSample,
    Score,
    Selection,
    SelectionStats,
    Subgroup,
    UnknownClient,
    WhatIf,
    WhatIfForm,
)

#: The bearer token sent to the API when set (`python main.py tokens add NAME`).
ENV_API_TOKEN = "SCORING_API_TOKEN"
#: The API's largest `top`; asking more gives the same answer (every feature) in-process.
MAX_TOP = 500
#: Query parameters whose 422 is a caller bug (ValueError), not an input to show on a form.
_PARAM_FIELDS = frozenset({"top", "lang", "client_id", "units"})
#: Parameters of the population queries: their 422 is an InvalidQuery.
_QUERY_FIELDS = frozenset({"feature", "group", "x", "y", "max_points", "region", "client_ids"})
#: The API's default number of scatter points (scoring.service.population_queries.MAX_POINTS).
MAX_POINTS = 20_000


class ScoringAPIError(RuntimeError):
    """The API could not be reached or answered with an unexpected status."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def score_from_dict(d: dict[str, Any]) -> Score:
    return Score(client_id=d["client_id"], probability=d["probability"], threshold=d["threshold"],
                 refused=d["refused"], risk_level=d["risk_level"], model_version=d["model_version"])


def explanation_from_dict(d: dict[str, Any]) -> Explanation:
    """The API's explanation; values it derives (points of a contribution...) are properties here."""
    return Explanation(
        score=score_from_dict(d["score"]),
        base_value=d["base_value"],
        contributions=[Contribution(c["feature"], c["label"], c["value"], c["display_value"], c["shap"])
                       for c in d["contributions"]],
        other_factors=d["other_factors"],
        warnings=[DataWarning(**w) for w in d.get("warnings", [])],
        global_importance=[GlobalImportance(g["feature"], g["label"], g["mean_abs_shap"], g["rank"])
                           for g in d.get("global_importance", [])],
        concepts=[ConceptContribution(**(k | {"features": [ConceptFeature(**f) for f in k["features"]]}))
                  for k in d.get("concepts", [])],
        principal_reasons=[PrincipalReason(**r) for r in d.get("principal_reasons", [])],
        protected_withheld=d.get("protected_withheld", False),
    )


def what_if_from_dict(d: dict[str, Any]) -> WhatIf:
    return WhatIf(before=explanation_from_dict(d["before"]), after=explanation_from_dict(d["after"]),
                  overrides=d["overrides"])


def population_from_dict(d: dict[str, Any]) -> PopulationInfo:
    return PopulationInfo(**(d | {"features": [FeatureMeta(**f) for f in d["features"]],
                                  "groups": [FeatureGroup(**g) for g in d["groups"]]}))


def comparison_from_dict(d: dict[str, Any]) -> Comparison:
    return Comparison(**(d | {"subgroups": [Subgroup(**g) for g in d["subgroups"]]}))


def scatter_from_dict(d: dict[str, Any]) -> ScatterSample:
    client = d["client"]
    return ScatterSample(**(d | {"client": None if client is None else ScatterPoint(**client),
                                 "quintiles": [Quintile(**q) for q in d["quintiles"]]}))


def selection_from_dict(d: dict[str, Any]) -> Selection:
    return Selection(**(d | {"selection": SelectionStats(**d["selection"]),
                             "population": SelectionStats(**d["population"])}))


def option_from_dict(d: dict[str, Any]) -> RecourseOption:
    return RecourseOption(kind=d["kind"], changes=d["changes"], probability=d["probability"],
                          refused=d["refused"], label=d["label"], sentence=d["sentence"])


def recourse_from_dict(d: dict[str, Any]) -> Recourse:
    headroom = d.get("headroom")
    return Recourse(client_id=d["client_id"], probability=d["probability"], threshold=d["threshold"],
                    refused=d["refused"], margin=d["margin"], options=[option_from_dict(o) for o in d["options"]],
                    headroom=None if headroom is None else option_from_dict(headroom), summary=d["summary"])


def form_from_dict(d: dict[str, Any]) -> WhatIfForm:
    return WhatIfForm(**(d | {"fields": [FormField(**f) for f in d["fields"]]}))


class HttpClient:
    """ScoringClient over the scoring API at `base_url` (e.g. http://127.0.0.1:8000).

    `http` may be any httpx.Client (FastAPI's TestClient in tests). The API
    logs the scores it serves under its own source ("api"): a caller cannot name it.
    `token` (default: SCORING_API_TOKEN) is sent as `Authorization: Bearer`.
    """

    def __init__(self, base_url: str = "http://127.0.0.1:8000", *, timeout: float = 10.0,
                 http: httpx.Client | None = None, token: str | None = None):
        self.base_url = base_url.rstrip("/")
        self._own = http is None
        self._http = http if http is not None else httpx.Client(base_url=self.base_url, timeout=timeout)
        self._headers = {"Accept": "application/json"}
        token = token if token is not None else os.environ.get(ENV_API_TOKEN)
        if token:
            self._headers["Authorization"] = f"Bearer {token.strip()}"

    def close(self) -> None:
        if self._own:
            self._http.close()

    def for_user(self, user: str | None) -> HttpClient:
        """This client for one signed-in user: the same connections, and the user named in the
        X-Scoring-User header of every request (the API logs it when the token may delegate)."""
        bound = copy.copy(self)
        bound._own = False  # closing a session's copy never closes the shared connections
        bound._headers = {k: v for k, v in self._headers.items() if k != USER_HEADER}
        if user:
            bound._headers[USER_HEADER] = user
        return bound

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport ---------------------------------------------------------------------------
    def _request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                 json: Any = None, lang: str | None = None) -> Any:
        headers = dict(self._headers)
        if lang:
            headers["Accept-Language"] = lang
        content = None
        if json is not None:
            # allow_nan: a NaN typed in a form reaches the API and gets its per-field message there,
            # exactly as in-process, instead of failing here in the encoder.
            content = jsonlib.dumps(json, ensure_ascii=False, allow_nan=True).encode("utf-8")
            headers["Content-Type"] = "application/json"
        try:
            response = self._http.request(method, path, params=params, content=content, headers=headers)
        except httpx.HTTPError as exc:
            raise ScoringAPIError(f"scoring API unreachable at {self.base_url}: {exc}") from exc
        if response.status_code == 200:
            return response.json()
        try:
            body = response.json()
        except ValueError:
            body = {}
        detail = body.get("detail") if isinstance(body, dict) else None
        if response.status_code == 409 and isinstance(body, dict) and body.get("client_id") is not None:
            raise KnownClient(int(body["client_id"]), str(detail))
        if response.status_code == 404 and ("/clients/" in path or (params or {}).get("client_id") is not None):
            raise UnknownClient(detail or f"unknown client ({path})")
        if response.status_code == 422 and isinstance(body, dict):
            errors = body.get("errors") or {}
            if errors and set(errors) <= _PARAM_FIELDS:
                raise ValueError("; ".join(f"{k}: {v}" for k, v in errors.items()))
            if errors and set(errors) <= _QUERY_FIELDS:
                raise InvalidQuery({str(k): str(v) for k, v in errors.items()})
            raise InvalidOverride({str(k): str(v) for k, v in errors.items()} or {"body": str(detail)})
        raise ScoringAPIError(
            f"scoring API answered {response.status_code} to {method} {path}: {detail or response.reason_phrase}",
            status=response.status_code,
        )

    # -- protocol ----------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return self._request("GET", "/health")

    def client_ids(self) -> list[int]:
        return list(self._request("GET", "/clients")["client_ids"])

    def profile(self, client_id: int, lang: str = "fr") -> dict[str, Any]:
        return self._request("GET", f"/clients/{_id(client_id)}", params={"lang": _lang(lang)})

    def score(self, client_id: int) -> Score:
        return score_from_dict(self._request("GET", f"/clients/{_id(client_id)}/score"))

    def explanation(self, client_id: int, top: int = 10, lang: str = "fr") -> Explanation:
        _check_top(top)
        data = self._request("GET", f"/clients/{_id(client_id)}/explanation",
                             params={"top": min(top, MAX_TOP), "lang": _lang(lang)})
        return explanation_from_dict(data)

    def what_if(self, client_id: int, overrides: dict[str, Any], top: int = 10, lang: str = "fr") -> WhatIf:
        _check_top(top)
        data = self._request("POST", f"/clients/{_id(client_id)}/what-if",
                             params={"top": min(top, MAX_TOP), "lang": _lang(lang)},
                             json={"overrides": _jsonable(overrides)})
        return what_if_from_dict(data)

    def recourse(self, client_id: int, lang: str = "fr") -> Recourse:
        return recourse_from_dict(self._request("GET", f"/clients/{_id(client_id)}/recourse",
                                                params={"lang": _lang(lang)}))

    # -- extensions --------------------------------------------------------------------------
    def score_application(self, record: dict[str, Any], history: dict[str, list[dict[str, Any]]] | None = None,
                          top: int = 10, lang: str = "fr") -> Explanation:
        _check_top(top)
        body: dict[str, Any] = {"record": _jsonable(record)}
        if history is not None:
            body["history"] = _jsonable(history)
        return explanation_from_dict(self._request("POST", "/score", params={"top": min(top, MAX_TOP), "lang": _lang(lang)},
                                                   json=body))

    def model_card(self, lang: str = "fr") -> dict[str, Any]:
        return self._request("GET", "/model", params={"lang": _lang(lang)})

    def monitoring(self) -> dict[str, Any] | None:
        """The served build's monitoring snapshot; None when the API has none yet (404)."""
        try:
            return self._request("GET", "/monitoring")
        except ScoringAPIError as exc:
            if exc.status == 404:
                return None
            raise

    # -- population sections -------------------------------------------------------------------
    def population(self) -> PopulationInfo:
        return population_from_dict(self._request("GET", "/population"))

    def comparison(self, feature: str, group: str = "all", client_id: int | None = None,
                   lang: str = "fr") -> Comparison:
        params = {"feature": feature, "group": group, "client_id": _optional_id(client_id), "lang": _lang(lang)}
        return comparison_from_dict(self._request("GET", "/population/comparison", params=_present(params)))

    def scatter(self, x: str, y: str, client_id: int | None = None, max_points: int = MAX_POINTS,
                lang: str = "fr") -> ScatterSample:
        params = {"x": x, "y": y, "client_id": _optional_id(client_id), "max_points": max_points,
                  "lang": _lang(lang)}
        return scatter_from_dict(self._request("GET", "/population/scatter", params=_present(params)))

    def selection(self, x: str | None = None, y: str | None = None, region: Mapping[str, Any] | None = None,
                  client_ids: Sequence[int] | None = None, lang: str = "fr") -> Selection:
        body = {"x": x, "y": y, "region": None if region is None else _jsonable(dict(region)),
                "client_ids": None if client_ids is None else _jsonable(list(client_ids))}
        return selection_from_dict(self._request("POST", "/population/selection", params={"lang": _lang(lang)},
                                                 json=body))

    # -- what-if form --------------------------------------------------------------------------
    def what_if_form(self, client_id: int | None = None) -> WhatIfForm:
        path = "/what-if/form" if client_id is None else f"/clients/{_id(client_id)}/what-if/form"
        return form_from_dict(self._request("GET", path))

    def check_overrides(self, values: dict[str, Any], lang: str = "fr", units: str = "display") -> OverrideCheck:
        data = self._request("POST", "/what-if/check", params={"units": units, "lang": _lang(lang)},
                             json={"overrides": _jsonable(values)})
        return OverrideCheck(**data)


def _lang(lang: str) -> str:
    return "en" if str(lang).lower().startswith("en") else "fr"


def _id(client_id: Any) -> str:
    """The id as it goes into the URL; a non-integer id is unknown, as in-process."""
    if isinstance(client_id, bool):
        raise UnknownClient(f"unknown client SK_ID_CURR={client_id!r}")
    try:
        value = int(client_id)
    except (TypeError, ValueError, OverflowError):
        raise UnknownClient(f"unknown client SK_ID_CURR={client_id!r}") from None
    if value != client_id or not 0 <= value <= 2**62:
        raise UnknownClient(f"unknown client SK_ID_CURR={client_id!r}")
    return str(value)


def _optional_id(client_id: Any) -> str | None:
    return None if client_id is None else _id(client_id)


def _present(params: dict[str, Any]) -> dict[str, Any]:
    """Query parameters without the absent ones (None would be sent as an empty value)."""
    return {k: v for k, v in params.items() if v is not None}


def _check_top(top: Any) -> None:
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ValueError(f"top must be a positive integer, got {top!r}")


def _jsonable(obj: Any) -> Any:
    """numpy scalars (from a dashboard's widgets or frames) to plain JSON values."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    item = getattr(obj, "item", None)
    if callable(item) and type(obj).__module__ == "numpy":
        return item()
    return obj
