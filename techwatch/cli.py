"""`python main.py techwatch`: run the protocol on the catalogue and write the report.

Only the standard library is imported at module level, so that registering
the sub-command costs the scoring CLI nothing.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger("techwatch")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the sub-command (shared by main.py and `python -m techwatch`)."""
    from techwatch import DEFAULT_DATA  # stdlib only, unlike techwatch.data

    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="catalogue CSV, read in place (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for report.html, results.json, results.md "
                             "(default: DATA_DIR/techwatch)")
    parser.add_argument("--per-class", type=int, default=None,
                        help="stratified sample of N products per category (default: all)")
    parser.add_argument("--synthetic", action="store_true",
                        help="run on an invented corpus instead of the catalogue (demo, no data)")
    parser.add_argument("--no-map", action="store_true", help="skip the t-SNE maps (faster)")
    parser.add_argument("--seeds", type=int, default=10, help="KMeans seeds (default: %(default)s)")


def _setup_logging() -> None:
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


def run(args: argparse.Namespace, out_dir: Path) -> dict[str, Path]:
    """Load the corpus the options name, run both methods, write the report."""
    from techwatch.data import load_catalogue, stratified_sample
    from techwatch.methods import all_methods
    from techwatch.protocol import RunConfig, run_protocol
    from techwatch.report import write_report
    from techwatch.synthetic import synthetic_corpus

    corpus = synthetic_corpus() if args.synthetic else load_catalogue(args.data)
    if args.per_class:
        corpus = stratified_sample(corpus, args.per_class)
    log.info("%d documents, %d categories", len(corpus), len(corpus.categories))
    config = RunConfig(kmeans_seeds=args.seeds, make_map=not args.no_map)
    results = run_protocol(corpus, all_methods(), config)
    paths = write_report(results, out_dir)
    log.info("report: %s", paths["html"])
    return paths


def cli_techwatch(args: argparse.Namespace, paths: Any = None) -> int:
    """Handler for main.py; `paths` is the scoring CLI's Paths (only its data_dir is used)."""
    _setup_logging()
    data_dir = Path(getattr(paths, "data_dir", Path("data")))
    out_dir = args.out or data_dir / "techwatch"
    if not args.synthetic and not Path(args.data).is_file():
        log.error("catalogue not found: %s (give --data FILE, or --synthetic for a demo)", args.data)
        return 2
    from techwatch.data import DataError

    try:
        run(args, out_dir)
    except (DataError, FileNotFoundError) as exc:
        log.error("%s", exc)
        return 2
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m techwatch`, for use without the scoring CLI."""
    parser = argparse.ArgumentParser(prog="python -m techwatch", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return cli_techwatch(parser.parse_args(argv))
