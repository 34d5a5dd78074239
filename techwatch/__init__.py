"""Technology watch: a recent text-embedding technique against the classic approach.

WordLlama (2024) static token embeddings and a TF-IDF baseline go through the
same protocol (stratified cross-validated classification, KMeans clustering,
a 2-D map) on the product catalogue, and the run writes a standalone HTML
report. Independent of the scoring package: nothing here imports `scoring`.
"""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
#: The catalogue is read in place beside the checkout, never copied into it;
#: TECHWATCH_DATA names another copy (the tests that need it follow it too).
DEFAULT_DATA = Path(os.environ.get("TECHWATCH_DATA")
                    or REPO_ROOT.parent / "shared" / "techwatch" / "flipkart_com-ecommerce_sample_1050.csv")
