"""The nightly SHAP cache: every client's probability and TreeSHAP values, and a fast reader.

Layout under ``paths.shap_cache`` (``cache/shap/``)::

    ACTIVE                       build id served by readers (rewritten atomically)
    PREVIOUS                     build id kept for rollback
    <version>-<UTC timestamp>/   one complete build: a diskcache directory, build.json and
                                 inputs/ (hard links to the feature tables and application
                                 rows it was computed from)
    .building-<build id>/        a build in progress (removed if the job dies; cleaned next run)
    .refresh.lock                held by the running refresh (two jobs never overlap)

Inside a build, the diskcache holds one entry per client, key ``SK_ID_CURR`` (int)
→ a fixed-size little-endian record ``(probability f8, raw_score f8, shap f4[k])``,
one metadata entry (``META_KEY``): model version, feature names, base value,
global importance (mean |SHAP|), threshold, client count, build time; and one
entry (``PROBA_KEY``) with every client's probability in a single blob, so that
population views need no per-client reads.

Precision: SHAP values are stored as float32 (half the disk, 7 significant
digits, far below what an advisor reads). The exact float64 raw score is stored
too, and the reader assigns the float32 rounding residual (bounded by
sum|shap| * 2**-24, about 1e-7) to the largest contribution, so that
``base_value + shap.sum() == raw score`` holds to float64 precision on every
explanation served.

The served pair: the active build names its model version and holds its
inputs, so rewriting ``ACTIVE`` switches model, inputs and SHAP values in one
rename. ``train`` registers a new model and moves the registry's ``CURRENT``
(the model the next build is for) but serves nothing: until ``refresh-cache``
has built and verified a cache for it, every process, including one restarted
meanwhile, keeps serving the previous pair, and ``/health`` reports the
waiting model. ``rollback_cache`` swaps back to the previous pair.

Readers: ``ShapStore.open(paths)`` once per process; the store re-opens its
SQLite handle after a fork (``bokeh serve --num-procs``), keeps serving its own
pair until ``is_current(paths)`` turns False (another build was activated; a
long-lived process may then open a new store), and falls back to on-the-fly
computation if its build became unreadable. A build made before input
snapshots reads the live feature table; clients it lacks are computed on the
fly and never written into the shared cache.
"""

from __future__ import annotations

from scoring.explain.cache_build import cli_refresh_cache, refresh_cache
from scoring.explain.cache_layout import (
    ACTIVE_FILE,
    BUILD_MANIFEST,
    PREVIOUS_FILE,
    CacheBuildError,
    StaleCacheError,
    UnknownClientError,
    active_build,
    active_manifest,
    decode_record,
    encode_records,
    features_signature,
    prune_builds,
    read_manifest,
    record_dtype,
    rollback_cache,
)
from scoring.explain.shap_store import ClientExplanation, ShapStore

__all__ = [
    "ACTIVE_FILE", "BUILD_MANIFEST", "PREVIOUS_FILE", "CacheBuildError", "ClientExplanation", "ShapStore",
    "StaleCacheError", "UnknownClientError", "active_build", "active_manifest", "cli_refresh_cache",
    "decode_record", "encode_records", "features_signature", "prune_builds", "read_manifest",
    "record_dtype", "refresh_cache", "rollback_cache",
]
