"""Dashboard users: names and Argon2id password hashes (argon2-cffi), managed by `main.py users`.

Why Argon2id: it is the password-hashing competition's winner and OWASP's
first choice; argon2-cffi's defaults (RFC 9106 low-memory profile) cost tens
of milliseconds per check, which is what makes a stolen file expensive to
attack. An unknown user name is checked against a dummy hash, so the answer
takes as long as for a known one and does not tell which names exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from scoring.errors import UserError
from scoring.security.secret_file import SecretFile

#: What a user (or token) name may be: an e-mail-like login, no spaces, at most 64 characters.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")
#: Shortest password accepted (NIST SP 800-63B asks for at least 8; a bank sets more).
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a password: equalises the time of an unknown user's check")


def check_name(name: str, what: str = "user") -> str:
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise UserError(f"invalid {what} name {name!r}: 1 to 64 letters, digits or . _ @ + - "
                        "(starting with a letter or digit)")
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(f"password too long: at most {MAX_PASSWORD_LENGTH} characters")
    return password


@dataclass(frozen=True)
class UserInfo:
    name: str
    created: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class UserStore:
    """The users file (`users` section of a `SecretFile`)."""

    def __init__(self, path: Path):
        self.file = SecretFile(path, "users", "hash")

    @property
    def path(self) -> Path:
        return self.file.path

    def add(self, name: str, password: str, *, replace: bool = False) -> None:
        check_name(name)
        check_password(password)
        digest = _HASHER.hash(password)
        with self.file.editing() as users:
            if name in users and not replace:
                raise UserError(f"user {name!r} already exists in {self.path} (use --replace to set a new password)")
            users[name] = {"hash": digest, "created": users.get(name, {}).get("created") or _now()}

    def remove(self, name: str) -> None:
        with self.file.editing() as users:
            if name not in users:
                raise UserError(f"no user {name!r} in {self.path}")
            del users[name]

    def list(self) -> list[UserInfo]:
        return [UserInfo(name, entry.get("created", "")) for name, entry in sorted(self.file.entries().items())]

    def exists(self, name: str) -> bool:
        return name in self.file.entries()

    def verify(self, name: str, password: str) -> bool:
        """True when `name` exists and `password` is its password (constant work either way)."""
        if not isinstance(password, str) or len(password) > MAX_PASSWORD_LENGTH:
            return False
        entry = self.file.entries().get(name) if isinstance(name, str) else None
        try:
            return _HASHER.verify(entry["hash"] if entry else _DUMMY_HASH, password) and entry is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
