"""One protocol for every method: cross-validated classification, clustering, a 2-D map.

All metrics come from scikit-learn. Folds, seeds and the classifier are the
same for every method, so their figures can be read side by side.
"""

from __future__ import annotations

import logging
import os
import platform
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sklearn.cluster import KMeans
from sklearn.manifold import TSNE
from sklearn.metrics import accuracy_score, adjusted_rand_score, confusion_matrix, f1_score
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from techwatch.data import Corpus, DataError
from techwatch.measure import measure
from techwatch.methods import Method

log = logging.getLogger("techwatch")


@dataclass(frozen=True)
class RunConfig:
    """The knobs of the protocol; the defaults are the ones of the reported run."""

    folds: int = 5
    kmeans_seeds: int = 10
    kmeans_n_init: int = 10
    make_map: bool = True
    seed: int = 0
    #: BLAS/OpenMP threads. One, because these small problems gain nothing from more, and
    #: OpenBLAS threads spinning on a shared 2-core machine made lbfgs 25 times slower.
    threads: int = 1


@dataclass
class MethodResult:
    """Everything measured for one method; plain lists so that it serialises to JSON."""

    key: str
    label: str
    accuracy: list[float]
    macro_f1: list[float]
    chosen_c: list[float]
    confusion: list[list[int]]
    ari: list[float]
    clusters: list[int]
    seconds: dict[str, float]
    peak_mib: dict[str, float]
    docs_per_second: float
    map_xy: list[list[float]] | None = None

    def summary(self) -> dict[str, float]:
        """Means and spreads (sample std over folds or seeds) of the headline metrics."""
        return {
            "accuracy_mean": float(np.mean(self.accuracy)), "accuracy_std": _std(self.accuracy),
            "macro_f1_mean": float(np.mean(self.macro_f1)), "macro_f1_std": _std(self.macro_f1),
            "ari_mean": float(np.mean(self.ari)), "ari_std": _std(self.ari),
        }


@dataclass
class Results:
    """A whole run: the corpus it saw, the configuration, the machine and each method."""

    n_documents: int
    categories: list[str]
    labels: list[str]
    names: list[str]
    config: dict[str, Any]
    machine: dict[str, Any]
    methods: list[MethodResult] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for method, result in zip(data["methods"], self.methods, strict=True):
            method["summary"] = result.summary()
        return data


def _std(values: list[float]) -> float:
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def _take(encoded: Any, index: np.ndarray) -> Any:
    return encoded[index] if isinstance(encoded, np.ndarray) else [encoded[i] for i in index]


def fold_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[float, float]:
    """Accuracy and macro-averaged F1 of one fold (every category weighs the same)."""
    return float(accuracy_score(y_true, y_pred)), float(f1_score(y_true, y_pred, average="macro"))


def cross_validate(method: Method, encoded: Any, labels: np.ndarray,
                   config: RunConfig) -> tuple[list[float], list[float], list[float], np.ndarray]:
    """Stratified k-fold: per-fold accuracy, macro-F1, chosen C, and out-of-fold predictions."""
    outer = StratifiedKFold(n_splits=config.folds, shuffle=True, random_state=config.seed)
    predictions = np.empty(labels.shape, dtype=object)
    accuracy, macro_f1, chosen = [], [], []
    for train, test in outer.split(np.zeros(len(labels)), labels):
        model = method.classifier(config.seed).fit(_take(encoded, train), labels[train])
        predictions[test] = model.predict(_take(encoded, test))
        acc, f1 = fold_metrics(labels[test], predictions[test])
        accuracy.append(acc)
        macro_f1.append(f1)
        chosen.append(float(model.best_params_["clf__C"]))
    return accuracy, macro_f1, chosen, predictions


def ari(labels: np.ndarray, assigned: np.ndarray) -> float:
    """Adjusted Rand index: 0 for a chance partition, 1 for the true categories."""
    return float(adjusted_rand_score(labels, assigned))


def cluster_ari(space: np.ndarray, labels: np.ndarray, seeds: int,
                n_init: int = 10) -> tuple[list[float], np.ndarray]:
    """KMeans with one cluster per category, once per seed; ARI against the true categories."""
    k = len(set(labels.tolist()))
    scores, first = [], None
    for seed in range(seeds):
        assigned = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit_predict(space)
        scores.append(ari(labels, assigned))
        first = assigned if first is None else first
    return scores, first


def map_2d(space: np.ndarray, seed: int) -> np.ndarray:
    """t-SNE of the clustering space (cosine, as the vectors are L2-normalised)."""
    perplexity = float(min(30.0, max(2.0, (len(space) - 1) / 3)))
    return TSNE(n_components=2, perplexity=perplexity, init="pca", metric="cosine",
                random_state=seed).fit_transform(space)


def evaluate(method: Method, corpus: Corpus, config: RunConfig) -> MethodResult:
    """Run the whole protocol for one method, timing each stage."""
    seconds: dict[str, float] = {}
    peak: dict[str, float] = {}
    with measure() as total:
        with measure() as m:
            method.load()
        seconds["load"], peak["load"] = m.seconds, m.peak_mib
        with measure() as m:
            encoded = method.encode(corpus.texts)
        seconds["encode"], peak["encode"] = m.seconds, m.peak_mib
        with measure() as m:
            accuracy, macro_f1, chosen, predictions = cross_validate(method, encoded, corpus.labels, config)
        seconds["cross_validation"], peak["cross_validation"] = m.seconds, m.peak_mib
        with measure() as m:
            space = method.cluster_space(encoded, config.seed)
            aris, clusters = cluster_ari(space, corpus.labels, config.kmeans_seeds, config.kmeans_n_init)
        seconds["clustering"], peak["clustering"] = m.seconds, m.peak_mib
    seconds["total"], peak["total"] = total.seconds, total.peak_mib
    xy = None
    if config.make_map:
        with measure() as m:
            xy = map_2d(space, config.seed).round(3).tolist()
        seconds["map"], peak["map"] = m.seconds, m.peak_mib
    confusion = confusion_matrix(corpus.labels, predictions, labels=corpus.categories)
    log.info("%s: accuracy %.3f, macro-F1 %.3f, ARI %.3f, %.1f s", method.label,
             np.mean(accuracy), np.mean(macro_f1), np.mean(aris), seconds["total"])
    return MethodResult(
        key=method.key, label=method.label, accuracy=accuracy, macro_f1=macro_f1,
        chosen_c=chosen, confusion=confusion.tolist(), ari=aris, clusters=clusters.tolist(),
        seconds=seconds, peak_mib=peak,
        docs_per_second=len(corpus) / max(seconds["encode"], 1e-9), map_xy=xy)


def machine_info() -> dict[str, Any]:
    """What the timings depend on: cores, load when the run started, library versions."""
    import sklearn

    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {"cpu_count": os.cpu_count(), "load_average_1_5_15": [round(x, 2) for x in load],
            "python": platform.python_version(), "platform": platform.platform(),
            "scikit_learn": sklearn.__version__, "wordllama": _version("wordllama"),
            "nltk": _version("nltk")}


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "absent"


def run_protocol(corpus: Corpus, methods: list[Method], config: RunConfig) -> Results:
    """Every method through the same protocol, on the same corpus."""
    smallest = min(int(np.sum(corpus.labels == c)) for c in corpus.categories)
    if len(corpus.categories) < 2 or smallest < config.folds:
        raise DataError(f"need 2 categories with {config.folds} documents each at least "
                         f"(got {len(corpus.categories)} categories, smallest {smallest})")
    results = Results(n_documents=len(corpus), categories=corpus.categories,
                      labels=corpus.labels.tolist(), names=list(corpus.names),
                      config=asdict(config), machine=machine_info())
    with threadpool_limits(limits=config.threads):
        for method in methods:
            results.methods.append(evaluate(method, corpus, config))
    return results
