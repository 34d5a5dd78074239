"""`python main.py pipeline`: build whatever artefact is missing or stale, in order.

generate (only when DATA_DIR/raw holds no CSV) → features (missing, or a raw
file's content differs from the one it was built from) → train (no current
model, or it was trained on another feature table) → refresh-cache (the served
pair is not the current model on the current feature table). Each step logs why it runs or why it is skipped, so
that `make run` on a complete checkout starts the dashboard at once.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from scoring.data.fingerprint import DEFAULT_MAX_SHRINK, shrink_settings
from scoring.errors import UserError
from scoring.paths import Paths
from scoring.progress import log, step


@dataclass(frozen=True)
class StepOutcome:
    """What the pipeline did for one step and why."""

    name: str
    ran: bool
    reason: str


def generate_reason(paths: Paths) -> tuple[bool, str]:
    csvs = sorted(paths.raw.glob("*.csv")) if paths.raw.is_dir() else []
    if not csvs:
        return True, f"no CSV file in {paths.raw}"
    return False, f"{len(csvs)} CSV file(s) already in {paths.raw}"


def features_reason(paths: Paths) -> tuple[bool, str]:
    """Rebuild when a raw file's content differs from the one the tables were built from.

    By content (sha256, re-hashed only when a file's inode, size, mtime or
    ctime changed), so a file replaced by one with an old modification time
    (`cp -p`, `rsync -t`, `unzip`) is never missed.
    """
    from scoring.data.fingerprint import content_fingerprint, digest_memo
    from scoring.features.output import read_manifest

    missing = [p for p in (paths.features, paths.history_features) if not p.is_file()]
    if missing:
        return True, f"{missing[0]} missing"
    built_from = read_manifest(paths)
    if built_from is None:
        return True, "the feature table does not record which raw files it was built from"
    memo = digest_memo(paths.interim)
    current = content_fingerprint(paths.raw, memo)
    memo.save()
    for name in sorted(set(current) | set(built_from)):
        now, then = current.get(name), built_from.get(name)
        if now != then:
            what = (now or then or {}).get("file", name)
            change = "removed" if now is None else "new" if then is None else "changed (content)"
            return True, f"{what} {change} since the feature table was built"
    return False, "the feature table was built from the current raw files (same content)"


def train_reason(paths: Paths, config: object) -> tuple[bool, str]:
    """Retrain only when the feature table changed: a model trained by hand with other
    settings (cost weights, a full search) on the same data is kept, never overwritten."""
    from scoring.model.registry import current_card, current_version, data_fingerprint

    version = current_version(paths)
    if version is None:
        return True, "no current model"
    try:
        card = current_card(paths) or {}
    except UserError as exc:
        return True, f"model {version} is unreadable ({exc})"
    if card.get("data_fingerprint") != data_fingerprint(paths):
        return True, f"model {version} was trained on another feature table"
    return False, f"model {version} was trained on the current feature table"


def refresh_reason(paths: Paths) -> tuple[bool, str]:
    """Build a cache when the served pair is not the current model on the current feature table."""
    from scoring.explain.shap_cache import active_manifest
    from scoring.model.registry import current_version, data_fingerprint

    manifest = active_manifest(paths)
    if manifest is None:
        return True, f"no active SHAP cache in {paths.shap_cache}"
    version = current_version(paths)
    if manifest.get("model_version") != version:
        return True, (f"model {version} waits for its cache (model {manifest.get('model_version')} "
                      "is served until then)")
    if manifest.get("features_sha256") != data_fingerprint(paths):
        return True, "the feature table changed since the active cache was built"
    return False, f"active cache {manifest.get('build_id')} matches model {version}"


def run_steps(paths: Paths, clients: int = 20_000, new_clients: int | None = None, seed: int = 42,
              fast: bool = False, accept_shrink: bool = False,
              max_shrink: float = DEFAULT_MAX_SHRINK) -> list[StepOutcome]:
    """Run the stale steps in order; return what each step did (the CLI only logs it)."""
    from scoring.model.training.config import TrainConfig

    config = TrainConfig(seed=seed, fast=fast)
    config.validate()

    def do_generate() -> None:
        from scoring.data.generator.dataset import default_new_clients, generate

        n_new = default_new_clients(clients) if new_clients is None else new_clients
        generate(paths.raw, clients, n_new, seed)

    def do_features() -> None:
        from scoring.data.fingerprint import loaded_content
        from scoring.data.loader import load_tables
        from scoring.features.table import write_features

        tables = load_tables(paths.raw, paths.interim, accept_shrink=accept_shrink, max_shrink=max_shrink)
        write_features(tables, paths, source=loaded_content(paths.interim))

    def do_train() -> None:
        from scoring.model.training.trainer import train_and_register

        train_and_register(paths, config)

    def do_refresh() -> None:
        from scoring.explain.shap_cache import refresh_cache

        refresh_cache(paths)

    plan: list[tuple[str, Callable[[], tuple[bool, str]], Callable[[], None]]] = [
        ("generate", lambda: generate_reason(paths), do_generate),
        ("features", lambda: features_reason(paths), do_features),
        ("train", lambda: train_reason(paths, config), do_train),
        ("refresh-cache", lambda: refresh_reason(paths), do_refresh),
    ]
    outcomes = []
    for name, decide, action in plan:
        needed, reason = decide()  # decided only now: an earlier step may have changed the answer
        if needed:
            with step(f"pipeline: {name} ({reason})"):
                action()
        else:
            log.info("pipeline: %s skipped: %s", name, reason)
        outcomes.append(StepOutcome(name, needed, reason))
    return outcomes


def run_pipeline(paths: Paths, clients: int = 20_000, new_clients: int | None = None, seed: int = 42,
                 fast: bool = False) -> None:
    """Build every missing or stale artefact: data, features, model, SHAP cache."""
    run_steps(paths, clients=clients, new_clients=new_clients, seed=seed, fast=fast)


def cli_pipeline(args: argparse.Namespace, paths: Paths) -> int:
    """`python main.py pipeline [--clients N] [--new-clients N] [--seed S]` (used by `make run`)."""
    accept_shrink, max_shrink = shrink_settings(args)
    outcomes = run_steps(paths, clients=args.clients, new_clients=args.new_clients, seed=args.seed,
                         accept_shrink=accept_shrink, max_shrink=max_shrink)
    ran = [o.name for o in outcomes if o.ran]
    log.info("pipeline: %s", f"ran {', '.join(ran)}" if ran else "everything up to date")
    return 0
