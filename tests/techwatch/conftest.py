"""Runs of the technology-watch pipeline shared by the test modules (each built once).

The synthetic run happens with every socket blocked, so it doubles as the
proof that the pipeline, model loading included, makes no network call.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from techwatch.data import DEFAULT_DATA, load_catalogue, stratified_sample
from techwatch.methods import all_methods
from techwatch.protocol import Results, RunConfig, run_protocol
from techwatch.report import write_report
from techwatch.synthetic import synthetic_corpus

#: Small but complete: every stage runs, the maps included.
FAST = RunConfig(folds=5, kmeans_seeds=3, kmeans_n_init=3, make_map=True)


class NetworkCall(AssertionError):
    """Raised by the socket guard; an assertion so that no library swallows it as an OSError."""


@contextmanager
def no_network() -> Iterator[list[str]]:
    """Make every outgoing connection and name lookup fail loudly, and record the attempts."""
    attempts: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(repr(args[1:] if args and isinstance(args[0], socket.socket) else args))
        raise NetworkCall(f"network call attempted: {attempts[-1]}")

    with pytest.MonkeyPatch.context() as mp:
        for target, name in ((socket.socket, "connect"), (socket.socket, "connect_ex"),
                             (socket, "create_connection"), (socket, "getaddrinfo")):
            mp.setattr(target, name, refuse)
        mp.delenv("HF_HUB_OFFLINE", raising=False)  # the code, not an offline flag, must stay offline
        yield attempts


@pytest.fixture(scope="session")
def synthetic_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Results, dict[str, Path], list[str]]:
    """The whole pipeline on the invented corpus, with sockets blocked."""
    out = tmp_path_factory.mktemp("techwatch_synthetic")
    with no_network() as attempts:
        results = run_protocol(synthetic_corpus(per_class=30, seed=3), all_methods(), FAST)
        paths = write_report(results, out)
    return results, paths, attempts


@pytest.fixture(scope="session")
def catalogue_sample_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Results, dict[str, Path]]:
    """The whole pipeline on 20 real products per category; skipped when the file is absent."""
    if not DEFAULT_DATA.is_file():
        pytest.skip(f"catalogue not found: {DEFAULT_DATA}")
    corpus = stratified_sample(load_catalogue(DEFAULT_DATA), per_class=20, seed=1)
    out = tmp_path_factory.mktemp("techwatch_sample")
    results = run_protocol(corpus, all_methods(), FAST)
    return results, write_report(results, out)
