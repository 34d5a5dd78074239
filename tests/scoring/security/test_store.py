"""Users and tokens files: hashed secrets, private atomic files, changes seen without a restart."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from scoring.errors import UserError
from scoring.security.limiter import FailureLimiter
from scoring.security.tokens import TokenStore
from scoring.security.users import MIN_PASSWORD_LENGTH, UserStore

PASSWORD = "correct horse battery"


def test_a_user_signs_in_with_its_password_only_and_the_file_holds_no_secret(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "security" / "users.json")
    store.add("alice", PASSWORD)
    assert store.verify("alice", PASSWORD)
    assert not store.verify("alice", PASSWORD + "!")
    assert not store.verify("bob", PASSWORD)  # unknown user: refused (after a dummy check)
    text = store.path.read_text()
    assert PASSWORD not in text
    assert json.loads(text)["users"]["alice"]["hash"].startswith("$argon2id$")
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert [u.name for u in store.list()] == ["alice"]


def test_adding_twice_needs_replace_and_removing_an_unknown_user_is_an_error(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "users.json")
    store.add("alice", PASSWORD)
    with pytest.raises(UserError, match="already exists"):
        store.add("alice", "another long password")
    store.add("alice", "another long password", replace=True)
    assert store.verify("alice", "another long password") and not store.verify("alice", PASSWORD)
    with pytest.raises(UserError, match="no user 'bob'"):
        store.remove("bob")
    store.remove("alice")
    assert store.list() == [] and not store.verify("alice", "another long password")


@pytest.mark.parametrize(("name", "password", "message"), [
    ("alice", "x" * (MIN_PASSWORD_LENGTH - 1), "too short"),
    ("al ice", PASSWORD, "invalid user name"),
    ("", PASSWORD, "invalid user name"),
    ("-alice", PASSWORD, "invalid user name"),
])
def test_bad_names_and_short_passwords_are_refused_and_nothing_is_written(
        tmp_path: Path, name: str, password: str, message: str) -> None:
    store = UserStore(tmp_path / "users.json")
    with pytest.raises(UserError, match=message):
        store.add(name, password)
    assert not store.path.exists()


def test_a_server_sees_a_removed_user_at_once(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    server, cli = UserStore(path), UserStore(path)
    cli.add("alice", PASSWORD)
    assert server.verify("alice", PASSWORD)
    cli.remove("alice")
    assert not server.exists("alice") and not server.verify("alice", PASSWORD)


def test_a_damaged_file_is_reported_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    path.write_text('{"format": 1, "users": {"alice": {"created": "x"}}}')
    with pytest.raises(UserError, match=r"users\.json: user 'alice' has no 'hash'"):
        UserStore(path).list()
    path.write_text("{not json")
    with pytest.raises(UserError, match=r"users\.json: not valid JSON \(line 1"):
        UserStore(path).verify("alice", PASSWORD)


def test_a_token_is_shown_once_stored_as_a_digest_and_revoked_at_once(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    server, cli = TokenStore(path), TokenStore(path)
    token = cli.add("crm", delegate=False)
    other = cli.add("dashboard", delegate=True)
    assert token != other and token.startswith("pad_") and len(token) > 40
    assert token not in path.read_text() and other not in path.read_text()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert server.lookup(token).name == "crm" and not server.lookup(token).delegate
    assert server.lookup(other).delegate
    assert server.lookup(token[:-1]) is None and server.lookup("") is None and server.lookup("x" * 10_000) is None
    with pytest.raises(UserError, match="already exists"):
        cli.add("crm")
    cli.remove("crm")
    assert server.lookup(token) is None and server.lookup(other).name == "dashboard"
    path.unlink()
    assert server.lookup(other) is None  # the file gone: no token is valid any more


def test_the_limiter_blocks_a_key_past_its_failures_and_forgets_them_after_the_window() -> None:
    now = [1000.0]
    limiter = FailureLimiter(max_failures=3, window_s=60.0, clock=lambda: now[0])
    for expected in (1, 2):
        assert limiter.failure("1.2.3.4") == expected
        assert limiter.retry_after("1.2.3.4") is None
    assert limiter.failure("1.2.3.4") == 3
    assert limiter.retry_after("1.2.3.4") == pytest.approx(60.0)
    assert limiter.retry_after("5.6.7.8") is None  # another client is not affected
    now[0] += 30
    assert limiter.retry_after("1.2.3.4") == pytest.approx(30.0)
    now[0] += 30.001
    assert limiter.retry_after("1.2.3.4") is None and limiter.failures("1.2.3.4") == 0


def test_the_limiter_keeps_its_memory_bounded() -> None:
    limiter = FailureLimiter(max_failures=2, window_s=60.0, max_keys=100)
    for i in range(1000):
        limiter.failure(f"10.0.{i // 256}.{i % 256}")
    assert len(limiter._failures) <= 100
    assert limiter.failures("10.0.3.231") == 1  # the latest are remembered
