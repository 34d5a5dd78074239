"""The two text representations under test, behind one small interface.

Each method splits its work into a stateless per-document step (`encode`:
cleaning and stemming, or embedding), which may run once on the whole corpus
without leaking anything between folds, and the steps that learn from data
(TF-IDF vocabulary and idf, the classifier), which only ever see a training
fold. Both feed the same linear classifier and the same clustering.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import normalize

#: Inverse regularisation strengths tried by the inner CV, the same for both methods.
C_GRID = (0.1, 1.0, 10.0, 100.0, 1000.0)
#: Dimensions kept by the truncated SVD (latent semantic analysis) of the classic clustering.
LSA_COMPONENTS = 100
WORDLLAMA_CONFIG = "l2_supercat"
WORDLLAMA_DIM = 256


class Method(Protocol):
    """What the protocol needs from a text representation."""

    key: str
    label: str

    def load(self) -> None:
        """Load whatever the method needs before encoding (model weights); timed apart."""

    def encode(self, texts: list[str]) -> Any:
        """Stateless per-document step, safe to run once before cross-validation."""

    def classifier(self, seed: int) -> BaseEstimator:
        """Fitted steps + the shared linear classifier, with C chosen by an inner CV."""

    def cluster_space(self, encoded: Any, seed: int) -> np.ndarray:
        """Dense, L2-normalised vectors for KMeans and the 2-D map."""


def linear_classifier(steps: list[tuple[str, Any]], seed: int) -> GridSearchCV:
    """The shared classifier: multinomial logistic regression, C by 3-fold inner CV."""
    pipeline = Pipeline([*steps, ("clf", LogisticRegression(max_iter=3000))])
    inner = StratifiedKFold(n_splits=3, shuffle=True, random_state=seed)
    return GridSearchCV(pipeline, {"clf__C": list(C_GRID)}, cv=inner, scoring="accuracy")


# --- classic: cleaning, stemming, TF-IDF -------------------------------------------------

_WORD = re.compile(r"[a-z]+")


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    from nltk.stem.snowball import SnowballStemmer  # no downloaded NLTK data needed

    return SnowballStemmer("english")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return _stemmer().stem(word)


def clean(text: str) -> str:
    """Lower case, letters only, no English stop words, Snowball stems: the usual cleaning."""
    words = _WORD.findall(text.lower())
    return " ".join(_stem(w) for w in words if len(w) > 1 and w not in ENGLISH_STOP_WORDS)


def tfidf_vectorizer() -> TfidfVectorizer:
    """Unigrams and bigrams of cleaned words, seen in two documents at least, sublinear tf."""
    return TfidfVectorizer(token_pattern=r"\S+", lowercase=False, ngram_range=(1, 2),
                           min_df=2, sublinear_tf=True)


class TfidfMethod:
    """The classic approach: TF-IDF for the classifier, TF-IDF + truncated SVD for clustering."""

    key = "tfidf"
    label = "TF-IDF (classic)"

    def load(self) -> None:
        _stemmer()

    def encode(self, texts: list[str]) -> list[str]:
        return [clean(t) for t in texts]

    def classifier(self, seed: int) -> BaseEstimator:
        return linear_classifier([("tfidf", tfidf_vectorizer())], seed)

    def cluster_space(self, encoded: list[str], seed: int) -> np.ndarray:
        matrix = tfidf_vectorizer().fit_transform(encoded)
        components = max(2, min(LSA_COMPONENTS, matrix.shape[1] - 1, matrix.shape[0] - 1))
        return normalize(TruncatedSVD(components, random_state=seed).fit_transform(matrix))


# --- recent: WordLlama static embeddings --------------------------------------------------


def load_wordllama(dim: int = WORDLLAMA_DIM) -> Any:
    """The embedding model shipped inside the wordllama wheel, never downloaded.

    Upstream looks for the shipped tokenizer under `tokenizer/` while the wheel
    has it under `tokenizers/`, so by default it would fetch it from the hub;
    pointing the cache at the package folder finds it, and `disable_download`
    turns any miss into an error instead of a network call.
    """
    import wordllama
    from wordllama import WordLlama

    package_dir = Path(wordllama.__file__).resolve().parent
    return WordLlama.load(config=WORDLLAMA_CONFIG, dim=dim, cache_dir=package_dir,
                          disable_download=True)


class WordLlamaMethod:
    """The recent technique: mean-pooled WordLlama token embeddings, L2-normalised."""

    key = "wordllama"
    label = f"WordLlama {WORDLLAMA_CONFIG} {WORDLLAMA_DIM}-d (2024)"

    def __init__(self) -> None:
        self._model: Any = None

    def load(self) -> None:
        if self._model is None:
            self._model = load_wordllama()

    def encode(self, texts: list[str]) -> np.ndarray:
        self.load()
        # normalised here rather than by WordLlama, which divides by zero on an empty text
        return normalize(np.asarray(self._model.embed(texts, norm=False), dtype=np.float32))

    def classifier(self, seed: int) -> BaseEstimator:
        return linear_classifier([], seed)

    def cluster_space(self, encoded: np.ndarray, seed: int) -> np.ndarray:
        return normalize(encoded)


def all_methods() -> list[Method]:
    """The classic baseline first, then the recent technique."""
    return [TfidfMethod(), WordLlamaMethod()]
