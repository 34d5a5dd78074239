"""A small JSON file of credentials: private (0600), replaced atomically, re-read when it changes.

Servers keep a parsed copy and re-read the file only when its inode, size or
modification time moved, so `main.py users remove` or `tokens remove` takes
effect on the next request without a restart, for the price of one `stat`.
Writers (the CLI) take an exclusive lock on a side file for the whole
read-modify-write, so two commands run at once never lose an entry.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scoring.atomic import atomic_path
from scoring.errors import UserError
from scoring.progress import log

#: Version of the files' layout (written in each file, checked on read).
FORMAT = 1


class SecretFile:
    """`{"format": 1, "<section>": {name: {required: str, ...}}}` at `path`; an absent file is an empty one."""

    def __init__(self, path: Path, section: str, required: str):
        self.path = Path(path)
        self.section = section
        self.required = required  # the key every entry must hold (its hash)
        self._lock = threading.Lock()
        self._key: tuple[int, int, int] | None = None
        self._entries: dict[str, dict[str, Any]] = {}
        #: Incremented each time the file is (re-)read: caches built from the entries compare it.
        self.generation = 0

    def entries(self) -> dict[str, dict[str, Any]]:
        """The current entries (a shared read-only mapping: do not modify)."""
        return self.snapshot()[1]

    def snapshot(self) -> tuple[int, dict[str, dict[str, Any]]]:
        """`(generation, entries)`: the generation changes whenever the file is re-read."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            st = None
        key = None if st is None else (st.st_ino, st.st_size, st.st_mtime_ns)
        with self._lock:
            if key != self._key:
                if st is None:
                    entries: dict[str, dict[str, Any]] = {}
                else:
                    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                        log.warning("%s is readable by other users (mode %o): run chmod 600 on it",
                                    self.path, stat.S_IMODE(st.st_mode))
                    entries = self._parse(self.path.read_text(encoding="utf-8"))
                self._entries, self._key = entries, key
                self.generation += 1
            return self.generation, self._entries

    def _parse(self, text: str) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UserError(f"{self.path}: not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get(self.section), dict):
            raise UserError(f"{self.path}: expected {{\"format\": {FORMAT}, \"{self.section}\": {{...}}}}, "
                            f"got keys {sorted(data) if isinstance(data, dict) else type(data).__name__}")
        entries = data[self.section]
        for name, entry in entries.items():
            if not isinstance(entry, dict) or not isinstance(entry.get(self.required), str):
                raise UserError(f"{self.path}: {self.section[:-1]} {name!r} has no {self.required!r} string")
        return entries

    @contextlib.contextmanager
    def editing(self) -> Iterator[dict[str, dict[str, Any]]]:
        """Yield a copy of the entries to modify; written back (0600, atomically) on success."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(f".{self.path.name}.lock")
        with open(lock_path, "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            entries = {name: dict(entry) for name, entry in self.entries().items()}
            yield entries
            text = json.dumps({"format": FORMAT, self.section: entries}, indent=2, sort_keys=True,
                              ensure_ascii=False) + "\n"
            with atomic_path(self.path) as tmp:
                os.chmod(tmp, 0o600)
                tmp.write_text(text, encoding="utf-8")
