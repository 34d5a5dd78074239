"""pyproject.toml is the source of truth; environment.yml must list the same packages."""

from __future__ import annotations

import re
import tomllib

from scoring.paths import REPO_ROOT

# conda-forge names that differ from PyPI names
CONDA_NAMES = {"diskcache": "python-diskcache"}
# packages installed through pip inside environment.yml (not on conda-forge as such)
PIP_ONLY = {"playwright", "wordllama"}


def _name_and_spec(requirement: str) -> tuple[str, str]:
    """Name and version spec; extras (`dask[distributed]`) are pip's, conda-forge packages bundle them."""
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(.*)$", requirement)
    assert match, requirement
    return match.group(1).lower(), match.group(3).replace(" ", "")


def _pyproject_requirements() -> dict[str, str]:
    data = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    reqs = list(data["project"]["dependencies"])
    for extra in data["project"]["optional-dependencies"].values():
        reqs.extend(extra)
    return dict(_name_and_spec(r) for r in reqs)


def _environment_requirements() -> tuple[dict[str, str], dict[str, str]]:
    """Conda items sit at indent 2 under `dependencies:`, pip items deeper under `- pip:`."""
    conda, pip = {}, {}
    lines = (REPO_ROOT / "environment.yml").read_text().splitlines()
    start = lines.index("dependencies:")
    for line in lines[start + 1 :]:
        text = line.split("#", 1)[0].rstrip()
        if not text.lstrip().startswith("- "):
            continue
        item = text.lstrip()[2:].strip()
        if item in ("pip", "pip:") or item.startswith(("-e", "python=")):
            continue
        name, spec = _name_and_spec(item)
        indent = len(text) - len(text.lstrip())
        (conda if indent <= 2 else pip)[name] = spec
    return conda, pip


def test_environment_yml_mirrors_pyproject() -> None:
    expected = _pyproject_requirements()
    conda, pip = _environment_requirements()
    mirrored = {}
    for name, spec in conda.items():
        pypi_name = {v: k for k, v in CONDA_NAMES.items()}.get(name, name)
        mirrored[pypi_name] = spec
    mirrored.update(pip)
    assert mirrored == expected
    assert set(pip) == PIP_ONLY


def test_python_version_agrees() -> None:
    data = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    assert data["project"]["requires-python"].startswith(">=3.11")
    assert "python=3.11" in (REPO_ROOT / "environment.yml").read_text()
