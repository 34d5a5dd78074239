"""Reading the catalogue: categories, awkward CSV content, sampling, and the real file."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from techwatch.data import DEFAULT_DATA, DataError, first_level, load_catalogue, stratified_sample
from techwatch.methods import clean


def test_first_level_of_the_category_tree() -> None:
    assert first_level('["Watches >> Wrist Watches >> Men"]') == "Watches"
    assert first_level('["Home Decor & Festive Needs >> Candles"]') == "Home Decor & Festive Needs"
    assert first_level('["Computers"]') == "Computers"


def _invented_csv(path: Path) -> None:
    """Invented listings whose quoted fields hold CRLF, a bare CR and U+2028, as the real file does."""
    frame = pd.DataFrame({
        "uniq_id": ["1", "2", "3", "4"],
        "product_name": ["Blue Teapot", "Steel Ladle", "Desk Lamp", "Wool Rug"],
        "product_category_tree": ['["Kitchen >> Tea"]', '["Kitchen >> Tools"]',
                                  '["Lighting >> Desk"]', '["Floor >> Rugs"]'],
        "description": ["A teapot.\r\nPours well.", "Line one\rline two", "Bright\u2028lamp", ""],
    })
    frame.to_csv(path, index=False, lineterminator="\r\n")


def test_load_catalogue_survives_embedded_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.csv"
    _invented_csv(path)
    corpus = load_catalogue(path)
    assert len(corpus) == 4
    assert corpus.labels.tolist() == ["Kitchen", "Kitchen", "Lighting", "Floor"]
    assert corpus.texts[0].startswith("Blue Teapot. A teapot.")
    assert corpus.texts[3] == "Wool Rug"  # no description: the name alone


def test_missing_column_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    pd.DataFrame({"product_name": ["x"], "description": ["y"]}).to_csv(path, index=False)
    with pytest.raises(DataError, match="product_category_tree"):
        load_catalogue(path)


def test_stratified_sample_takes_the_same_count_per_category(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.csv"
    _invented_csv(path)
    sample = stratified_sample(load_catalogue(path), per_class=1, seed=0)
    assert Counter(sample.labels.tolist()) == {"Kitchen": 1, "Lighting": 1, "Floor": 1}


def test_cleaning_lowercases_drops_stop_words_and_stems() -> None:
    assert clean("Running Shoes for the Children, 100% COTTON!") == "run shoe children cotton"


def test_real_catalogue_has_seven_categories_of_150() -> None:
    if not DEFAULT_DATA.is_file():
        pytest.skip(f"catalogue not found: {DEFAULT_DATA}")
    corpus = load_catalogue(DEFAULT_DATA)
    counts = Counter(corpus.labels.tolist())
    assert len(corpus) == 1050
    assert len(counts) == 7 and set(counts.values()) == {150}
    assert all(t.strip() for t in corpus.texts)
    assert np.unique(corpus.names).size > 900  # names are mostly distinct
