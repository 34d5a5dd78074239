"""Reading the product catalogue: texts and their first-level category.

The file is read in place (never copied into the repository). Its quoted
fields contain CRLF, bare CR and U+2028, so it goes through pandas' CSV
parser, never through line counting.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from techwatch import DEFAULT_DATA

__all__ = ["DEFAULT_DATA", "Corpus", "DataError", "first_level", "load_catalogue", "stratified_sample"]
REQUIRED_COLUMNS = ("product_name", "description", "product_category_tree")


class DataError(ValueError):
    """The input cannot go through the protocol (missing column, too few documents)."""


@dataclass(frozen=True)
class Corpus:
    """Texts with their true category, aligned by position."""

    texts: list[str]
    labels: np.ndarray
    names: list[str]

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def categories(self) -> list[str]:
        return sorted(set(self.labels.tolist()))

    def subset(self, index: np.ndarray) -> Corpus:
        """The documents at `index`, in that order."""
        return Corpus([self.texts[i] for i in index], self.labels[index],
                      [self.names[i] for i in index])


def first_level(tree: str) -> str:
    """'["Watches >> Wrist Watches >> ..."]' -> 'Watches' (the category of the issue)."""
    text = tree.strip()
    if text.startswith('["'):
        text = text[2:]
    if text.endswith('"]'):
        text = text[:-2]
    return text.split(" >> ", 1)[0].strip()


def load_catalogue(path: Path = DEFAULT_DATA) -> Corpus:
    """Product name + description as text, first level of the category tree as label."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"catalogue not found: {path}")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}")
    names = frame["product_name"].str.strip().tolist()
    descriptions = frame["description"].str.strip().tolist()
    texts = [f"{n}. {d}" if d else n for n, d in zip(names, descriptions, strict=True)]
    labels = np.array([first_level(t) for t in frame["product_category_tree"]], dtype=object)
    return Corpus(texts, labels, names)


def stratified_sample(corpus: Corpus, per_class: int, seed: int = 0) -> Corpus:
    """`per_class` documents of each category (all of a smaller one), for quick runs and tests."""
    rng = np.random.default_rng(seed)
    picked: list[int] = []
    for category in corpus.categories:
        members = np.flatnonzero(corpus.labels == category)
        picked.extend(rng.choice(members, size=min(per_class, members.size), replace=False).tolist())
    return corpus.subset(np.sort(np.array(picked)))
