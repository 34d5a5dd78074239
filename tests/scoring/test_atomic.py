"""Write-then-rename helpers: what a killed writer leaves is removed by the next one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from scoring.atomic import atomic_dir, atomic_path, clean_leftovers
from scoring.paths import REPO_ROOT


def _debris(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_a_killed_writers_temporary_folder_is_removed_by_the_next_run(tmp_path: Path) -> None:
    target = tmp_path / "interim"
    script = ("import sys, time\nfrom pathlib import Path\nfrom scoring.atomic import atomic_dir\n"
              "with atomic_dir(Path(sys.argv[1])) as tmp:\n"
              "    (tmp / 'part.parquet').write_bytes(b'x' * 1000)\n    print('ready', flush=True)\n"
              "    time.sleep(600)\n")
    proc = subprocess.Popen([sys.executable, "-c", script, str(target)], cwd=REPO_ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        assert len(_debris(tmp_path)) == 1
        assert clean_leftovers(target) == []  # a live writer's folder is left alone
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert len(_debris(tmp_path)) == 1  # what kill -9 leaves behind
    with atomic_dir(target) as tmp:
        (tmp / "table.parquet").write_bytes(b"ok")
    assert _debris(tmp_path) == [] and (target / "table.parquet").read_bytes() == b"ok"


def test_older_pid_less_temporaries_and_files_are_removed(tmp_path: Path) -> None:
    (tmp_path / ".features.parquet.abcd1234.tmp").write_bytes(b"half")
    (tmp_path / ".features.parquet.p999999999-x.tmp").write_bytes(b"half")  # no such process
    (tmp_path / ".history.parquet.abcd.tmp").write_bytes(b"another target's")
    with atomic_path(tmp_path / "features.parquet") as tmp:
        tmp.write_bytes(b"new")
    assert _debris(tmp_path) == [".history.parquet.abcd.tmp"]
    assert (tmp_path / "features.parquet").read_bytes() == b"new"


def test_a_swap_interrupted_after_moving_the_old_folder_aside_is_undone(tmp_path: Path) -> None:
    """Killed between the two renames of the swap: the target is missing, `.NAME.old` is whole."""
    old = tmp_path / ".interim.old"
    old.mkdir()
    (old / "table.parquet").write_bytes(b"previous")
    clean_leftovers(tmp_path / "interim")
    assert (tmp_path / "interim" / "table.parquet").read_bytes() == b"previous"
    assert _debris(tmp_path) == []
