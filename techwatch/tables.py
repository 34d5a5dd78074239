"""The table of results, as rows shared by the Markdown summary and the HTML report.

The reference figures come from earlier work on the same data set (quoted by
the issue, not re-run here); they sit next to the measured rows so that a
reader sees where the recent technique stands.
"""

from __future__ import annotations

from dataclasses import dataclass

from techwatch.protocol import MethodResult, Results


@dataclass(frozen=True)
class Reference:
    """A figure reported by earlier work on this data set (None where it was not reported)."""

    short: str
    label: str
    accuracy: float | None
    ari: float | None


REFERENCES = (
    Reference("BERT ref", "Fine-tuned BERT (2018), earlier work", 0.93, 0.31),
    Reference("MiniLM ref", "all-MiniLM-L6-v2 sentence embeddings (2020), earlier work", 0.95, 0.71),
    Reference("Phi-3 ref", "Phi-3-mini zero-shot LLM (2024), earlier work", 0.72, None),
)

HEADERS = ("method", "accuracy", "macro-F1", "ARI (KMeans, k = categories)", "encode s (docs/s)",
           "CV s", "clustering s", "total s", "peak MiB")


def _pm(mean: float, std: float) -> str:
    return f"{mean:.3f} ± {std:.3f}"


def method_row(result: MethodResult) -> list[str]:
    """One measured row: means ± sample std over folds (classification) or seeds (ARI)."""
    s = result.summary()
    sec = result.seconds
    return [result.label, _pm(s["accuracy_mean"], s["accuracy_std"]),
            _pm(s["macro_f1_mean"], s["macro_f1_std"]), _pm(s["ari_mean"], s["ari_std"]),
            f"{sec['encode']:.2f} ({result.docs_per_second:,.0f})", f"{sec['cross_validation']:.1f}",
            f"{sec['clustering']:.1f}", f"{sec['total']:.1f}", f"{result.peak_mib['total']:.0f}"]


def reference_row(ref: Reference) -> list[str]:
    """A reference row: only the figures the earlier work reported."""
    def fmt(value: float | None) -> str:
        return "—" if value is None else f"{value:.2f}"

    return [ref.label, fmt(ref.accuracy), "—", fmt(ref.ari), "—", "—", "—", "—", "—"]


def rows(results: Results) -> list[list[str]]:
    """Measured methods first, then the references."""
    return [method_row(m) for m in results.methods] + [reference_row(r) for r in REFERENCES]


def markdown(results: Results) -> str:
    """The results table and the run's context, ready to paste into the methodology note."""
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(row) + " |" for row in rows(results)]
    machine = results.machine
    config = results.config
    context = (f"{results.n_documents} documents, {len(results.categories)} categories; "
               f"{config['folds']}-fold stratified CV, KMeans over {config['kmeans_seeds']} seeds; "
               f"{machine['cpu_count']} cores, load average at start "
               f"{machine['load_average_1_5_15']}, {config['threads']} BLAS thread(s).")
    return "\n".join(["# Technology watch — results", "", context, "", *lines, ""])
