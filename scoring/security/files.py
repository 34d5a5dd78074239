"""Where the users and tokens files live: DATA_DIR/security/ unless the environment says otherwise.

A server (bokeh serve, uvicorn workers) learns the data root through the
environment (`Paths.from_env`), so it finds the same files as the CLI; set
SCORING_USERS_FILE / SCORING_TOKENS_FILE to keep them elsewhere (e.g. /etc).
"""

from __future__ import annotations

import os
from pathlib import Path

from scoring.paths import Paths

ENV_USERS_FILE = "SCORING_USERS_FILE"
ENV_TOKENS_FILE = "SCORING_TOKENS_FILE"


def security_dir(paths: Paths) -> Path:
    return Path(paths.data_dir) / "security"


def users_file(paths: Paths) -> Path:
    """The dashboard's users and password hashes."""
    return Path(os.environ.get(ENV_USERS_FILE) or security_dir(paths) / "users.json")


def tokens_file(paths: Paths) -> Path:
    """The API's token digests."""
    return Path(os.environ.get(ENV_TOKENS_FILE) or security_dir(paths) / "tokens.json")
