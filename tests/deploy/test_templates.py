"""The deployment templates render completely, their commands are valid `main.py` command
lines, and systemd accepts the rendered units."""

from __future__ import annotations

import getpass
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from scoring.cli.commands import build_parser
from scoring.paths import REPO_ROOT
from tests.deploy.support import load_render, unit_service

render = load_render()


def test_defaults_fill_every_placeholder_with_the_production_layout() -> None:
    files = render.render()
    assert set(files) == set(render.TEMPLATES)
    for name, text in files.items():
        assert not render.PLACEHOLDER.search(text), name
    dashboard = unit_service(files["systemd/pad-dashboard.service"])
    assert dashboard["User"] == ["pad"] and dashboard["WorkingDirectory"] == ["/srv/pret-a-depenser"]
    assert "--allow-websocket-origin scoring.example.com " in dashboard["ExecStart"][0]
    site = files["nginx/pret-a-depenser.conf"]
    assert "listen 443 ssl" in site and "return 301 https://scoring.example.com$request_uri;" in site


def test_a_non_default_port_is_part_of_the_public_host() -> None:
    files = render.render({"SERVER_NAME": "scoring.bank.test", "HTTPS_PORT": "8443", "LISTEN_ADDRESS": "10.0.0.5"})
    assert "--allow-websocket-origin scoring.bank.test:8443 " in files["systemd/pad-dashboard.service"]
    assert "listen 10.0.0.5:8443 ssl" in files["nginx/pret-a-depenser.conf"]


def test_an_unknown_setting_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown setting.*SERVERNAME"):
        render.render({"SERVERNAME": "x"})
    assert render.main(["--out", str(tmp_path), "--set", "SERVERNAME=x"]) == 2
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("unit", ["pad-dashboard.service", "pad-api.service", "pad-refresh.service"])
def test_every_unit_runs_a_valid_main_py_command(unit: str) -> None:
    service = unit_service(render.render()[f"systemd/{unit}"])
    argv = shlex.split(service["ExecStart"][0].replace("$REFRESH_ARGS", "--dask tcp://scheduler:8786"))
    assert argv[:2] == ["/srv/pret-a-depenser/.venv/bin/python", "main.py"]
    args = build_parser().parse_args(argv[2:])  # SystemExit on an option main.py does not have
    assert args.data_dir == Path("/srv/pret-a-depenser/data")
    assert args.cache_dir == Path("/srv/pret-a-depenser/cache")
    if unit == "pad-refresh.service":
        assert args.dask == "tcp://scheduler:8786"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_accepts_the_rendered_units(tmp_path: Path) -> None:
    render.write(tmp_path, {"ROOT": str(REPO_ROOT), "USER": getpass.getuser()})
    units = sorted(str(p) for p in (tmp_path / "systemd").iterdir())
    result = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout + result.stderr == "", result.stdout + result.stderr
