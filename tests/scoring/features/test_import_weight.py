"""Building features must not pay for the model: importing the features layer loads no CatBoost."""

from __future__ import annotations

import subprocess
import sys

from scoring.paths import REPO_ROOT


def test_importing_the_features_layer_loads_no_model_library() -> None:
    code = ("import sys, scoring.features.table, scoring.features.history, scoring.features.application; "
            "print(sorted(m for m in ('catboost', 'shap', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
