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
