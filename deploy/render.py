#!/usr/bin/env python3
"""Fill the deployment templates (nginx site, systemd units) for one machine.

    python3 deploy/render.py --out /tmp/pad-deploy --set SERVER_NAME=scoring.bank.example

writes nginx/pret-a-depenser.conf and systemd/*.{service,timer} under --out, with
every @-delimited placeholder (@ROOT@, @SERVER_NAME@...) replaced; an unknown
--set name, or a placeholder without a value, is an error. Standard library
only: it runs on a fresh server before the project's virtual environment
exists. docs/DEPLOY.md says where each file goes.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATES = ("nginx/pret-a-depenser.conf", "systemd/pad-dashboard.service", "systemd/pad-api.service",
             "systemd/pad-refresh.service", "systemd/pad-refresh.timer")
PLACEHOLDER = re.compile(r"@([A-Z][A-Z0-9_]*)@")

#: The values for the production layout (/srv/pret-a-depenser, a `pad` system user).
DEFAULTS = {
    "ROOT": "/srv/pret-a-depenser",  # the checkout, with its .venv
    "DATA_DIR": "",  # empty: ROOT/data
    "CACHE_DIR": "",  # empty: ROOT/cache
    "USER": "pad",
    "CONFIG_DIR": "/etc/pret-a-depenser",
    "SERVER_NAME": "scoring.example.com",
    "LISTEN_ADDRESS": "",  # empty: every address of the machine
    "HTTPS_PORT": "443",
    "HTTP_PORT": "80",
    "TLS_CERT": "/etc/ssl/certs/pret-a-depenser.pem",
    "TLS_KEY": "/etc/ssl/private/pret-a-depenser.key",
    "LOG_DIR": "/var/log/nginx",
    "DASHBOARD_PORT": "5006",
    "DASHBOARD_PROCS": "2",
    "API_PORT": "8000",
    "API_WORKERS": "2",
    "REFRESH_CALENDAR": "*-*-* 02:30:00",
}


def derived(values: dict[str, str]) -> dict[str, str]:
    """Values computed from the others: what nginx listens on, the host:port browsers use."""
    address = values["LISTEN_ADDRESS"]
    https, http = values["HTTPS_PORT"], values["HTTP_PORT"]
    # the browser's Origin omits the default port; Bokeh's allow-list reads a bare name as :80,
    # which is how a bare Origin is compared, so the bare name is right for 443
    public = values["SERVER_NAME"] if https == "443" else f"{values['SERVER_NAME']}:{https}"
    return {
        "DATA_DIR": values["DATA_DIR"] or f"{values['ROOT']}/data",
        "CACHE_DIR": values["CACHE_DIR"] or f"{values['ROOT']}/cache",
        "HTTPS_LISTEN": f"{address}:{https}" if address else https,
        "HTTP_LISTEN": f"{address}:{http}" if address else http,
        "PUBLIC_HOST": public,
    }


def render(overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Relative path -> rendered text of every template."""
    values = dict(DEFAULTS)
    unknown = set(overrides or {}) - set(values)
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))} (known: {', '.join(DEFAULTS)})")
    values.update(overrides or {})
    values.update(derived(values))
    rendered = {}
    for name in TEMPLATES:
        text = (HERE / name).read_text(encoding="utf-8")
        missing = sorted(set(PLACEHOLDER.findall(text)) - set(values))
        if missing:
            raise ValueError(f"{name}: no value for {', '.join(missing)}")
        rendered[name] = PLACEHOLDER.sub(lambda m: values[m.group(1)], text)
    return rendered


def write(out: Path, overrides: dict[str, str] | None = None) -> list[Path]:
    """Render into `out` (created); return the files written."""
    written = []
    for name, text in render(overrides).items():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write the rendered files into")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help=f"a setting (repeatable); defaults: {DEFAULTS}")
    args = parser.parse_args(argv)
    overrides = {}
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--set {item!r}: expected NAME=VALUE")
        overrides[name] = value
    try:
        for path in write(args.out, overrides):
            print(path)
    except ValueError as exc:
        print(f"render.py: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
