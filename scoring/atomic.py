"""Write-then-rename helpers: a crash never leaves a half-written artefact."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _read_umask() -> int:
    """The process umask; read once at import since reading it means setting it."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Temporary files are created private; once published they get the usual permissions.
_UMASK = _read_umask()


def _prefix(target: Path) -> str:
    """Temporary names carry the writer's pid, so a later run can tell a dead writer's debris."""
    return f".{target.name}.p{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def clean_leftovers(target: Path) -> list[Path]:
    """Remove what a killed writer of `target` left beside it; return what was removed.

    Temporary files and folders of a dead process (or of the older pid-less
    naming) are deleted; a folder swap interrupted after the old folder was
    moved aside is completed backwards (the old folder is put back).
    """
    target = Path(target)
    if not target.parent.is_dir():
        return []
    removed = []
    old = target.with_name(f".{target.name}.old")
    if old.exists() and not target.exists():
        os.replace(old, target)  # killed mid-swap: the previous version is still whole
    for leftover in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        tag = leftover.name[len(target.name) + 2:].split("-", 1)[0]
        if tag.startswith("p") and tag[1:].isdigit() and _alive(int(tag[1:])):
            continue  # a live writer's
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
        removed.append(leftover)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)
        removed.append(old)
    return removed


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary file path beside `target`; rename it over `target` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(target)
    fd, tmp_name = tempfile.mkstemp(prefix=_prefix(target), suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_UMASK)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Yield a temporary directory beside `target`; swap it into place on success.

    An existing `target` is replaced only once the new one is complete.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(target)
    tmp = Path(tempfile.mkdtemp(prefix=_prefix(target), suffix=".tmp", dir=target.parent))
    os.chmod(tmp, 0o777 & ~_UMASK)
    try:
        yield tmp
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def write_text_atomic(target: Path, text: str) -> None:
    """Replace a small text file (a pointer, a JSON card) in one rename."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
