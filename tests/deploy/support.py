"""Helpers of the deployment tests: the template renderer and what systemd would run."""

from __future__ import annotations

import importlib.util
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from scoring.paths import REPO_ROOT


def load_render() -> Any:
    """deploy/render.py (a stand-alone script, not a package module)."""
    spec = importlib.util.spec_from_file_location("deploy_render", REPO_ROOT / "deploy" / "render.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def unit_service(text: str) -> dict[str, list[str]]:
    """The [Service] settings of a systemd unit: name -> values in order."""
    settings: dict[str, list[str]] = {}
    section = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


def unit_command(text: str, env_files_dir: Path) -> tuple[list[str], dict[str, str], Path]:
    """argv, environment and working directory systemd would use for the unit's ExecStart
    (the interpreter is this test's, the same virtual environment)."""
    service = unit_service(text)
    env = dict(os.environ)
    for assignment in service.get("Environment", []):
        env.update(item.split("=", 1) for item in shlex.split(assignment))
    for env_file in service.get("EnvironmentFile", []):
        path = Path(env_file.lstrip("-"))
        assert path.parent == env_files_dir, env_file
        if path.is_file():
            env.update(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    argv = shlex.split(service["ExecStart"][0])
    assert argv[0].endswith("/.venv/bin/python") and argv[1] == "main.py", argv
    return [sys.executable, *argv[1:]], env, Path(service["WorkingDirectory"][0])
