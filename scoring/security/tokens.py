"""API bearer tokens, managed by `main.py tokens`: stored as SHA-256 digests, shown once.

Why SHA-256 and not Argon2 as for passwords: a token is 256 random bits, so
nobody can guess it from its digest however fast the hash, and every API
request checks one; a slow hash would add its tens of milliseconds to each
answer. A token's name is the API user the audit log records. A token
created with `--delegate` (the dashboard's, when it scores through the API)
may name the signed-in advisor it acts for in the `X-Scoring-User` header.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from scoring.errors import UserError
from scoring.security.secret_file import SecretFile
from scoring.security.users import check_name

#: Prefix of every token (recognisable in a leaked-secret scan).
PREFIX = "pad_"
#: Longest Authorization value hashed (anything longer is refused unread).
MAX_TOKEN_LENGTH = 256


@dataclass(frozen=True)
class TokenInfo:
    name: str
    created: str
    delegate: bool = False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenStore:
    """The tokens file (`tokens` section of a `SecretFile`)."""

    def __init__(self, path: Path):
        self.file = SecretFile(path, "tokens", "sha256")
        self._index_generation = -1
        self._index: dict[str, TokenInfo] = {}

    @property
    def path(self) -> Path:
        return self.file.path

    def add(self, name: str, *, delegate: bool = False) -> str:
        """Create a token named `name`; return it (the only time it is ever visible)."""
        check_name(name, "token")
        token = PREFIX + secrets.token_urlsafe(32)
        with self.file.editing() as tokens:
            if name in tokens:
                raise UserError(f"token {name!r} already exists in {self.path} (remove it first)")
            tokens[name] = {"sha256": _digest(token), "delegate": bool(delegate),
                            "created": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")}
        return token

    def remove(self, name: str) -> None:
        with self.file.editing() as tokens:
            if name not in tokens:
                raise UserError(f"no token {name!r} in {self.path}")
            del tokens[name]

    def list(self) -> list[TokenInfo]:
        return sorted(self._by_digest().values(), key=lambda t: t.name)

    def lookup(self, token: str) -> TokenInfo | None:
        """The token's entry, or None for an unknown (or absurdly long) one."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        return self._by_digest().get(_digest(token))

    def _by_digest(self) -> dict[str, TokenInfo]:
        generation, entries = self.file.snapshot()
        if generation != self._index_generation:  # the file changed (or was first read)
            self._index = {e["sha256"]: TokenInfo(name, e.get("created", ""), bool(e.get("delegate")))
                           for name, e in entries.items()}
            self._index_generation = generation
        return self._index
