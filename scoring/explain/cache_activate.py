"""Serve a build copied from another machine: verify it, then switch `ACTIVE` to it.

Why: several serving machines must serve the same build, computed once by the
nightly job. A build is an immutable folder named by its id, and the model it
names is an immutable `data/models/<version>/` folder, so shipping is copying
those two folders (rsync writes each file under a temporary name and renames
it when complete) and then rewriting the pointer, as `refresh-cache` does on
the build machine. `activate_cache` refuses a build that is incomplete or does
not fit its model, and the pointer is only rewritten once every check passed:
until then, and on any refusal, the machine keeps serving its previous pair.
See docs/DEPLOY.md for the commands.
"""

from __future__ import annotations

import argparse
import contextlib

import diskcache
import polars as pl

from scoring.atomic import write_text_atomic
from scoring.errors import ArtefactMissing, UserError
from scoring.explain.cache_layout import (
    ACTIVE_FILE,
    INPUTS_DIR,
    META_KEY,
    PREVIOUS_FILE,
    is_build_id,
    load_model_version,
    prune_builds,
    read_manifest,
    read_pointer,
    refresh_lock,
)
from scoring.paths import Paths
from scoring.progress import log

#: Entries of a build's database that are not clients (the metadata and the probabilities blob).
NON_CLIENT_ENTRIES = 2


def verify_shipped_build(paths: Paths, build_id: str) -> dict:
    """Every check a reader would fail on, before any process is pointed at the build; its manifest."""
    if not is_build_id(build_id):
        raise UserError(f"{build_id!r} is not a build id (expected <model version>-<UTC timestamp>, "
                        f"as listed in {paths.shap_cache})")
    build = paths.shap_cache / build_id
    if not build.is_dir():
        raise UserError(f"no build {build_id} in {paths.shap_cache} (copy the folder there first)")
    manifest = read_manifest(build)
    if manifest.get("build_id") != build_id:
        raise UserError(f"{build / 'build.json'} names build {manifest.get('build_id')!r}, not {build_id}")
    for name, size in (manifest.get("inputs") or {}).items():
        path = build / INPUTS_DIR / name
        actual = path.stat().st_size if path.is_file() else None
        if actual != size:
            raise UserError(f"{path}: {'missing' if actual is None else f'{actual} bytes'}, the build "
                            f"was made with {size} bytes (incomplete copy?)")
    version = str(manifest["model_version"])
    try:
        model = load_model_version(paths, version)
    except ArtefactMissing as exc:
        raise UserError(f"build {build_id} is for model {version}, not in {paths.models}: copy "
                        f"data/models/{version}/ from the build machine first") from exc
    if not (build / "cache.db").is_file():
        raise UserError(f"{build / 'cache.db'} missing (incomplete copy?)")
    with contextlib.closing(diskcache.Cache(str(build))) as cache:
        meta = cache.get(META_KEY)
        n_records = len(cache) - NON_CLIENT_ENTRIES
    if meta is None or meta.get("build_id") != build_id:
        raise UserError(f"{build / 'cache.db'} is not the database of build {build_id} (incomplete copy?)")
    if n_records != manifest["n_clients"]:
        raise UserError(f"{build / 'cache.db'} holds {n_records} clients, the build {manifest['n_clients']} "
                        "(incomplete copy?)")
    if list(meta["feature_names"]) != model.feature_names:
        raise UserError(f"build {build_id} does not fit model {model.version} in {paths.models} (other features)")
    features = build / INPUTS_DIR / paths.features.name
    if features.is_file():
        missing = set(model.feature_names) - set(pl.read_parquet_schema(features))
        if missing:
            raise UserError(f"{features} lacks model columns {', '.join(sorted(missing)[:10])}")
    return manifest


def activate_cache(paths: Paths, build_id: str) -> str | None:
    """Verify the build, then make it the served one (the active one becomes PREVIOUS); return the
    build that was active before. Processes pick the new pair up when restarted (`/health` says
    `newer_pair_active` until then)."""
    root = paths.shap_cache
    with refresh_lock(root):  # never while a refresh or a rollback rewrites the pointers
        verify_shipped_build(paths, build_id)
        previous = read_pointer(root / ACTIVE_FILE)
        if previous == build_id:
            return previous
        if previous is not None:
            write_text_atomic(root / PREVIOUS_FILE, previous + "\n")
        write_text_atomic(root / ACTIVE_FILE, build_id + "\n")
        removed = prune_builds(paths)
    log.info("SHAP cache %s active (previous: %s; pruned: %s)", build_id, previous, removed or "none")
    return previous


def cli_activate_cache(args: argparse.Namespace, paths: Paths) -> int:
    """`python main.py activate-cache BUILD_ID`: serve a build copied into this machine's cache."""
    previous = activate_cache(paths, args.build_id)
    if previous == args.build_id:
        print(f"{args.build_id} is already active")
    else:
        print(f"{args.build_id} active (previous: {previous or 'none'}); restart the dashboard and the API "
              "to serve it")
    return 0

