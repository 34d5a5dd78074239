"""The single command-line entry point: one sub-command per job.

Handlers are imported lazily ("module:function") so that `main.py --help`
stays instant and a job only pays for the libraries it uses. Every handler
has the signature ``handler(args: argparse.Namespace, paths: Paths) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from scoring.errors import UserError
from scoring.paths import Paths
from scoring.progress import log, setup_logging


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=Paths().data_dir,
                        help="root of data artefacts (default: %(default)s)")
    parser.add_argument("--cache-dir", type=Path, default=Paths().cache_dir,
                        help="root of the SHAP cache (default: %(default)s)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")


def _add_generate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="write a synthetic Home Credit dataset into DATA_DIR/raw/")
    p.add_argument("--clients", type=int, default=20_000, help="train clients (default: %(default)s)")
    p.add_argument("--new-clients", type=int, default=None,
                   help="new clients without TARGET (default: about 16%% of --clients)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--force", action="store_true", help="overwrite existing raw files")
    p.set_defaults(handler="scoring.data.generator.dataset:cli_generate")


def _add_shrink_options(p: argparse.ArgumentParser) -> None:
    """A raw table that lost rows against the previous accepted load is refused unless told."""
    p.add_argument("--accept-shrink", action="store_true",
                   help="accept raw tables with fewer rows than the previous accepted load")
    p.add_argument("--max-shrink", type=float, default=None, metavar="SHARE",
                   help="share of a table's rows it may lose against the previous load (default 0.10)")


def _add_validate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check a folder of raw files against the schema")
    p.add_argument("--raw", type=Path, default=None, help="folder of raw files (default: DATA_DIR/raw)")
    _add_shrink_options(p)
    p.set_defaults(handler="scoring.data.loader:cli_validate")


def _add_features(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("features", help="build DATA_DIR/processed/features.parquet")
    p.add_argument("--raw", type=Path, default=None, help="folder of raw files (default: DATA_DIR/raw)")
    _add_shrink_options(p)
    p.set_defaults(handler="scoring.features.table:cli_features")


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="compare models by CV, pick the business threshold, register the model")
    p.add_argument("--full-search", action="store_true",
                   help="wider hyper-parameter search (about 18 minutes at the real size on 2 cores)")
    p.add_argument("--time-budget", type=float, default=None, metavar="SECONDS",
                   help="CatBoost search budget: no candidate starts that would overrun it "
                        "(default: 45, or 600 with --full-search)")
    p.add_argument("--search-rows", type=int, default=None, metavar="N",
                   help="compare CatBoost candidates on a stratified subsample of N fit rows "
                        "(default: 40,000, or 100,000 with --full-search); the winner is then "
                        "cross-validated on all rows")
    p.add_argument("--keep-protected", action="store_true",
                   help="keep the inputs excluded by policy (gender) as model inputs, for comparison only")
    p.add_argument("--cost-fn", type=float, default=10.0, help="cost of a missed defaulter (default: %(default)s)")
    p.add_argument("--cost-fp", type=float, default=1.0, help="cost of a refused good client (default: %(default)s)")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seed", type=int, default=42)
    p.set_defaults(handler="scoring.model.training.trainer:cli_train")


def _add_models(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list registered model versions")
    p.set_defaults(handler="scoring.model.registry:cli_models")


def _add_refresh(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("refresh-cache", help="recompute scores and SHAP values of every client (nightly job)")
    p.add_argument("--chunk-size", type=int, default=20_000, help="clients per partition (default: %(default)s)")
    p.add_argument("--dask", metavar="SCHEDULER", default=None,
                   help="compute the partitions on a Dask distributed cluster, e.g. tcp://host:8786 "
                        "(default: locally)")
    p.set_defaults(handler="scoring.explain.shap_cache:cli_refresh_cache")
    p = sub.add_parser("activate-cache", help="serve a cache build copied from the build machine "
                       "(verified first; see docs/DEPLOY.md)")
    p.add_argument("build_id", metavar="BUILD_ID", help="the build folder's name under CACHE_DIR/shap/")
    p.set_defaults(handler="scoring.explain.cache_activate:cli_activate_cache")


def _add_pipeline(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pipeline", help="run whatever is missing or stale: generate, features, train, refresh-cache")
    p.add_argument("--clients", type=int, default=20_000, help="train clients if data must be generated")
    p.add_argument("--new-clients", type=int, default=None)
    p.add_argument("--seed", type=int, default=42)
    _add_shrink_options(p)
    p.set_defaults(handler="scoring.cli.pipeline:cli_pipeline")


def _add_serve(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="serve the advisors' dashboard with bokeh serve")
    p.add_argument("--port", type=int, default=5006)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--allow-websocket-origin", action="append", default=None)
    p.add_argument("--num-procs", type=int, default=1)
    p.add_argument("--show", action="store_true", help="open a browser")
    p.add_argument("--dev", action="store_true",
                   help="development mode: no sign-in, a banner says so on every page (loopback only)")
    p.add_argument("--trust-user-header", default=None, metavar="HEADER",
                   help="single sign-on: trust this header (e.g. X-Remote-User) set by the corporate reverse "
                        "proxy to name the signed-in user (off by default)")
    p.add_argument("--behind-proxy", action="store_true",
                   help="behind an HTTPS reverse proxy: take the client address and scheme from its "
                        "X-Forwarded-* headers (secure cookies, per-client sign-in limits)")
    p.set_defaults(handler="scoring.cli.serving:cli_serve")


def _add_api(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("api", help="serve the HTTP scoring API (FastAPI + uvicorn)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--workers", type=int, default=1,
                   help="server processes; each loads the artefacts (default: %(default)s)")
    p.add_argument("--dev", action="store_true",
                   help="development mode: no token required (Host names are still checked)")
    p.add_argument("--allowed-host", action="append", default=None, metavar="NAME",
                   help="a Host name clients use besides loopback and --host (repeatable; '*.example.com' allowed)")
    p.add_argument("--cors-origin", action="append", default=None, metavar="ORIGIN",
                   help="let pages from this origin call the API, e.g. https://crm.example.com (repeatable)")
    p.set_defaults(handler="scoring.api.app:cli_api")


def _add_monitor(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("monitor", help="fairness by group, drift of the incoming clients, score over time "
                       "(exit 1 on a drift alarm)")
    p.add_argument("--html", type=Path, default=None, help="write a standalone HTML report here")
    p.add_argument("--json", type=Path, default=None, help="write the snapshot (GET /monitoring) here")
    p.add_argument("--fail-on-fairness", action="store_true",
                   help="exit 1 on a fairness finding too (by default only a drift alarm does)")
    p.add_argument("--store", action="store_true",
                   help="store it as the active cache build's snapshot (served by the API and the dashboard)")
    p.add_argument("--lang", choices=["fr", "en"], default="fr", help="language of the HTML report")
    p.add_argument("--top", type=int, default=10, help="drifting features listed (default: %(default)s)")
    p.set_defaults(handler="scoring.cli.monitor:cli_monitor")


def _add_log(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("log", help="print the latest entries of the prediction (audit) log")
    p.add_argument("--tail", type=int, default=20)
    p.add_argument("--user", default=None, help="only this user's events (scores, what-if, clients viewed)")
    p.set_defaults(handler="scoring.service.prediction_log:cli_log")


def _add_users(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("users", help="dashboard sign-in: add, remove or list users (Argon2 password hashes)")
    p.add_argument("action", choices=["add", "remove", "list"])
    p.add_argument("name", nargs="?", help="user name (add, remove)")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password from the first line of standard input instead of asking twice")
    p.add_argument("--replace", action="store_true", help="add: set a new password for an existing user")
    p.set_defaults(handler="scoring.security.cli:cli_users")


def _add_tokens(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tokens", help="API bearer tokens: add (printed once), remove or list")
    p.add_argument("action", choices=["add", "remove", "list"])
    p.add_argument("name", nargs="?", help="token name, recorded as the API user (add, remove)")
    p.add_argument("--delegate", action="store_true",
                   help="add: the token may name the dashboard user it acts for (X-Scoring-User)")
    p.set_defaults(handler="scoring.security.cli:cli_tokens")


def _add_bench(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="measure speed and memory of one part")
    p.add_argument("target", choices=["generate", "features", "train", "cache", "cache-dask", "dashboard", "dashboard-panels", "dashboard-browser", "api", "validate", "explanation", "recourse", "monitoring"])
    p.add_argument("--clients", type=int, default=20_000)
    p.add_argument("--new-clients", type=int, default=None)
    p.add_argument("--real-size", action="store_true",
                   help="use the real Kaggle size (307,511 + 48,744 clients)")
    p.add_argument("--repeat", type=int, default=200, help="requests per latency measurement")
    p.add_argument("--workers", type=int, default=1, help="API server processes (bench api)")
    p.add_argument("--default-only", action="store_true",
                   help="bench train: time the default search only, not the full one")
    p.add_argument("--baseline", metavar="REV", default=None,
                   help="bench train: also train with the code of git revision REV (default search), "
                        "for before/after figures in one run")
    p.add_argument("--baseline-full", action="store_true",
                   help="bench train --baseline: the baseline's full search too (slow)")
    p.add_argument("--output", type=Path, default=None, help="also write the figures as JSON here")
    p.set_defaults(handler="benchmarks:cli_bench")


def _add_techwatch(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("techwatch", help="technology watch: WordLlama vs TF-IDF on the product catalogue")
    importlib.import_module("techwatch.cli").add_arguments(p)  # stdlib-only module, options live there
    p.set_defaults(handler="techwatch.cli:cli_techwatch")


def _add_i18n(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("i18n", help="dashboard translations (Babel): extract, update, init, compile, check")
    p.add_argument("action", choices=["extract", "update", "init", "compile", "check"])
    p.add_argument("--lang", default=None, help="language code of a new catalogue (init), e.g. de")
    p.add_argument("--locale-dir", type=Path, default=None, help="catalogue folder (default: bokeh_app/locale)")
    p.set_defaults(handler="bokeh_app.i18n_tools:cli_i18n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="main.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_add_generate, _add_validate, _add_features, _add_train, _add_models, _add_refresh,
                _add_pipeline, _add_serve, _add_api, _add_monitor, _add_log, _add_bench, _add_techwatch, _add_i18n,
                _add_users, _add_tokens):
        add(sub)
    for p in sub.choices.values():
        _common(p)
    return parser


def _resolve(handler: str) -> Callable[[argparse.Namespace, Paths], int]:
    module_name, func_name = handler.split(":")
    return getattr(importlib.import_module(module_name), func_name)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)
    paths = Paths(data_dir=args.data_dir.resolve(), cache_dir=args.cache_dir.resolve())
    try:
        return int(_resolve(args.handler)(args, paths) or 0)
    except UserError as exc:
        log.error("%s", exc)
        return 2
    except KeyboardInterrupt:
        log.error("interrupted: nothing half-written was kept")
        return 130


if __name__ == "__main__":
    sys.exit(main())
