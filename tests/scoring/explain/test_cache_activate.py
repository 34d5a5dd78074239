"""Shipping a built cache to another serving machine: copy the build and its model, then
`activate-cache` (verified first); the second machine then serves the same answers."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest

from scoring.cli.commands import main as cli_main
from scoring.errors import UserError
from scoring.explain.cache_activate import activate_cache
from scoring.explain.cache_layout import (
    ACTIVE_FILE,
    INPUTS_DIR,
    PREVIOUS_FILE,
    read_manifest,
)
from scoring.explain.shap_cache import ShapStore, refresh_cache
from scoring.paths import Paths
from scoring.service.inprocess import InProcessClient


def _active(paths: Paths) -> str | None:
    pointer = paths.shap_cache / ACTIVE_FILE
    return pointer.read_text().strip() if pointer.exists() else None


def ship(source: Paths, build_id: str, target: Paths, *, model: bool = True) -> None:
    """What rsync does in docs/DEPLOY.md: the build folder and the model folder it names, plain
    copies (the build's hard links to the build machine's data do not cross machines)."""
    version = read_manifest(source.shap_cache / build_id)["model_version"]
    shutil.copytree(source.shap_cache / build_id, target.shap_cache / build_id)
    if model and not (target.models / version).exists():
        shutil.copytree(source.models / version, target.models / version)


@pytest.fixture()
def serving(tmp_path: Path) -> Paths:
    """A second machine: nothing but empty data and cache folders."""
    return Paths(data_dir=tmp_path / "serve" / "data", cache_dir=tmp_path / "serve" / "cache")


def test_a_shipped_build_serves_the_same_answers(small_run: Paths, serving: Paths,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    build_id = _active(small_run)
    ship(small_run, build_id, serving)
    assert cli_main(["activate-cache", build_id, "--data-dir", str(serving.data_dir),
                     "--cache-dir", str(serving.cache_dir)]) == 0
    assert f"{build_id} active" in capsys.readouterr().out
    assert _active(serving) == build_id
    assert not serving.features.exists() and not serving.interim.exists()  # served from the build alone

    with contextlib.closing(ShapStore.open(small_run)) as here, contextlib.closing(ShapStore.open(serving)) as there:
        ids = here.client_ids()
        assert list(there.client_ids()) == list(ids)
        for cid in ids[:: max(1, len(ids) // 25)].tolist():
            a, b = here.lookup(cid), there.lookup(cid)
            assert (b.probability, b.refused, b.base_value) == (a.probability, a.refused, a.base_value)
            assert b.shap.tolist() == a.shap.tolist() and b.feature_values == a.feature_values
    origin = InProcessClient(small_run, prediction_log=_NoLog())
    copy = InProcessClient(serving, prediction_log=_NoLog())
    cid = int(ids[7])
    assert copy.score(cid) == origin.score(cid)
    assert copy.explanation(cid, lang="en") == origin.explanation(cid, lang="en")
    assert copy.health()["cache_version"] == build_id


class _NoLog:
    """The scores compared here are not served to anyone: nothing to audit."""

    def append(self, event) -> None:
        pass


def test_a_second_build_switches_and_the_previous_is_kept(small_run: Paths, serving: Paths,
                                                           tmp_path: Path) -> None:
    first = _active(small_run)
    builder = Paths(data_dir=small_run.data_dir, cache_dir=tmp_path / "builder")
    second = refresh_cache(builder, chunk_size=2000)
    ship(small_run, first, serving)
    assert activate_cache(serving, first) is None
    ship(builder, second, serving)
    assert activate_cache(serving, second) == first
    assert _active(serving) == second
    assert (serving.shap_cache / PREVIOUS_FILE).read_text().strip() == first
    assert activate_cache(serving, second) == second  # already active: nothing changes
    with contextlib.closing(ShapStore.open(serving)) as store:
        assert store.build.name == second


def test_a_build_whose_model_was_not_shipped_is_refused(small_run: Paths, serving: Paths) -> None:
    build_id = _active(small_run)
    ship(small_run, build_id, serving, model=False)
    with pytest.raises(UserError, match="copy data/models/.* from the build machine first"):
        activate_cache(serving, build_id)
    assert _active(serving) is None


@pytest.mark.parametrize("damage, message", [
    ("no_database", "cache.db missing"),
    ("short_input", "incomplete copy"),
    ("other_manifest", "names build"),
])
def test_an_incomplete_or_foreign_copy_is_refused_and_the_active_build_stays(
        small_run: Paths, serving: Paths, tmp_path: Path, damage: str, message: str) -> None:
    first = _active(small_run)
    ship(small_run, first, serving)
    activate_cache(serving, first)
    builder = Paths(data_dir=small_run.data_dir, cache_dir=tmp_path / "builder")
    second = refresh_cache(builder, chunk_size=2000)
    ship(builder, second, serving)
    build = serving.shap_cache / second
    if damage == "no_database":
        (build / "cache.db").unlink()
    elif damage == "short_input":
        features = build / INPUTS_DIR / "features.parquet"
        features.write_bytes(features.read_bytes()[:1000])
    else:
        manifest = build / "build.json"
        manifest.write_text(manifest.read_text().replace(second, first))
    with pytest.raises(UserError, match=message):
        activate_cache(serving, second)
    assert _active(serving) == first
    assert not (serving.shap_cache / PREVIOUS_FILE).exists()


def test_a_name_that_is_not_a_build_id_is_refused(serving: Paths) -> None:
    for name in ("../data", "ACTIVE", ""):
        with pytest.raises(UserError, match="is not a build id"):
            activate_cache(serving, name)
