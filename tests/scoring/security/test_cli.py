"""`main.py users` and `main.py tokens` through the real entry point."""

from __future__ import annotations

import io
import json

import pytest

from scoring.cli.commands import main
from scoring.paths import Paths
from scoring.security.files import tokens_file, users_file
from scoring.security.tokens import TokenStore
from scoring.security.users import UserStore


def _run(monkeypatch: pytest.MonkeyPatch, paths: Paths, *argv: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main([*argv, "--data-dir", str(paths.data_dir), "--cache-dir", str(paths.cache_dir)])


def test_users_add_list_remove(run_paths: Paths, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("SCORING_USERS_FILE", raising=False)
    assert _run(monkeypatch, run_paths, "users", "add", "alice", "--password-stdin",
                stdin="a long enough password\n") == 0
    assert UserStore(users_file(run_paths)).verify("alice", "a long enough password")
    assert users_file(run_paths).parent == run_paths.data_dir / "security"
    capsys.readouterr()
    assert _run(monkeypatch, run_paths, "users", "list") == 0
    out = capsys.readouterr().out
    assert out.startswith("alice\t") and "a long enough password" not in out and "argon2" not in out
    assert _run(monkeypatch, run_paths, "users", "add", "alice", "--password-stdin", stdin="short\n") == 2
    assert _run(monkeypatch, run_paths, "users", "remove", "alice") == 0
    assert _run(monkeypatch, run_paths, "users", "remove", "alice") == 2
    assert _run(monkeypatch, run_paths, "users", "add") == 2  # no name: a clear error, not a traceback
    # without a terminal and without --password-stdin, nothing is asked nor written
    assert _run(monkeypatch, run_paths, "users", "add", "bob") == 2
    assert UserStore(users_file(run_paths)).list() == []


def test_tokens_add_prints_the_token_once(run_paths: Paths, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SCORING_TOKENS_FILE", str(run_paths.data_dir / "elsewhere.json"))
    assert _run(monkeypatch, run_paths, "tokens", "add", "dashboard", "--delegate") == 0
    token = capsys.readouterr().out.strip()
    assert TokenStore(tokens_file(run_paths)).lookup(token).delegate
    assert tokens_file(run_paths) == run_paths.data_dir / "elsewhere.json"
    assert _run(monkeypatch, run_paths, "tokens", "list") == 0
    listed = capsys.readouterr().out
    assert "dashboard" in listed and token not in listed
    stored = json.loads(tokens_file(run_paths).read_text())["tokens"]["dashboard"]
    assert token not in json.dumps(stored)
    assert _run(monkeypatch, run_paths, "tokens", "remove", "dashboard") == 0
    assert TokenStore(tokens_file(run_paths)).lookup(token) is None
