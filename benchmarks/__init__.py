"""`python main.py bench TARGET`: each target is a module here exposing `run(args, paths) -> dict`.

Figures are printed as JSON on stdout (and written to --output if given),
so that closing notes quote measured numbers, never guesses.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import time
from pathlib import Path

from scoring.atomic import write_text_atomic
from scoring.paths import Paths

#: The real Kaggle size: train clients, new clients.
REAL_SIZE = (307_511, 48_744)


def sizes(args: argparse.Namespace) -> tuple[int, int]:
    """(train clients, new clients) asked for on the command line."""
    if args.real_size:
        return REAL_SIZE
    new = args.new_clients if args.new_clients is not None else round(args.clients * 0.16)
    return args.clients, new


def has_built_run(paths: Paths) -> bool:
    """A feature table, a registered model and an active SHAP cache under `paths`."""
    from scoring.model.registry import current_version

    return (paths.features.is_file() and current_version(paths) is not None
            and (paths.shap_cache / "ACTIVE").is_file())


def run_or_build(args: argparse.Namespace, paths: Paths, tmp: Path) -> tuple[Paths, str]:
    """The built run under `paths`, or a run of the requested size built in `tmp` (fast
    training); with a line saying which, for the report."""
    if has_built_run(paths):
        return paths, "existing"
    from scoring.cli.pipeline import run_steps
    from scoring.progress import log

    clients, new_clients = sizes(args)
    run = Paths(data_dir=tmp / "data", cache_dir=tmp / "cache")
    log.info("bench: building %d + %d clients in %s (fast training)", clients, new_clients, tmp)
    run_steps(run, clients=clients, new_clients=new_clients, seed=42, fast=True)
    return run, f"generated {clients} + {new_clients} clients (fast training)"


def cli_bench(args: argparse.Namespace, paths: Paths) -> int:
    module = importlib.import_module(f"benchmarks.{args.target.replace('-', '_')}")
    started = time.time()
    figures = module.run(args, paths)
    report = {
        "target": args.target,
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version()},
        "wall_seconds": round(time.time() - started, 2),
        "figures": figures,
    }
    text = json.dumps(report, indent=2, default=str)
    print(text)
    if args.output:
        write_text_atomic(args.output, text + "\n")
    return 0
