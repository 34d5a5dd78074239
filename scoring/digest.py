"""Content fingerprints of files: a full sha256, recomputed only when the file may have changed.

Staleness is decided by content, not modification time: a file replaced by
`cp -p`, `rsync -t` or `unzip` keeps an old mtime but gets a new inode or a
new change time (ctime, which no tool can set back). So the digest is
memoised on (inode, size, mtime, ctime): any difference is a doubt and the
bytes are hashed again.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

from scoring.atomic import write_text_atomic
from scoring.progress import log

_memo: dict[tuple[int, int, int, int, int], str] = {}
_lock = threading.Lock()


def stat_key(path: Path) -> tuple[int, int, int, int, int]:
    """What must stay the same for a file's bytes to be trusted unchanged: the inode itself
    (device and number, so hard links to one file share a digest), size, mtime and ctime."""
    st = os.stat(path)
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def file_sha256(path: Path) -> str:
    """sha256 of the file's bytes (memoised per process on `stat_key`)."""
    key = stat_key(path)
    with _lock:
        known = _memo.get(key)
    if known is None:
        with open(path, "rb") as fh:
            known = hashlib.file_digest(fh, "sha256").hexdigest()
        if stat_key(path) == key:  # not rewritten while being read
            with _lock:
                _memo[key] = known
    return known


class DigestMemo:
    """`file_sha256` remembered across runs in a small JSON file (trusted while `stat_key` holds).

    Lets `pipeline` decide by content at every start without re-reading
    gigabytes of unchanged raw files. A missing or unreadable memo only costs
    a re-hash; it is rewritten atomically and never trusted for a changed file.
    """

    def __init__(self, path: Path | None):
        self.path = path
        self._entries: dict[str, dict] = {}
        self._dirty = False
        if path is not None:
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
                self._entries = loaded if isinstance(loaded, dict) else {}
            except (OSError, ValueError):
                self._entries = {}

    def sha256(self, path: Path) -> str:
        key, name = stat_key(path), str(Path(path).resolve())
        entry = self._entries.get(name)
        if isinstance(entry, dict) and entry.get("stat") == list(key) and entry.get("sha256"):
            return str(entry["sha256"])
        digest = file_sha256(path)
        self._entries[name] = {"stat": list(key), "sha256": digest}
        self._dirty = True
        return digest

    def save(self) -> None:
        """Write the memo if it learnt something (a failure to write is harmless: logged)."""
        if self.path is None or not self._dirty:
            return
        try:
            write_text_atomic(self.path, json.dumps(self._entries, indent=1, sort_keys=True))
            self._dirty = False
        except OSError as exc:
            log.warning("could not save file digests to %s: %s", self.path, exc)
