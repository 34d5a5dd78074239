"""The dashboard's gettext catalogues: complete, consistent, compiled, and open to new languages."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest

from bokeh_app import i18n
from bokeh_app import i18n_tools as T
from scoring.cli.commands import main as cli_main

NNBSP, MINUS = "\u202f", "\u2212"


@pytest.fixture(scope="module")
def used() -> dict[str, list[str]]:
    return T.used_keys()


@pytest.fixture(scope="module")
def po() -> dict[str, dict[str, str]]:
    return {lang: {m.id: m.string for m in T.read_catalogue(T.po_path(lang), lang) if m.id}
            for lang in T.catalogue_langs()}


def test_the_catalogues_have_no_problem_at_all():
    """Every used key translated in every language, same placeholders, nothing fuzzy or unused,
    every .mo the compiled .po, the template up to date (what `i18n check` reports)."""
    assert T.check() == []


def test_every_key_used_in_code_is_translated_in_every_language(used, po):
    assert {"fr", "en"} <= set(po)
    for lang, texts in po.items():
        missing = sorted(k for k in used if not (texts.get(k) or "").strip())
        assert not missing, (lang, missing)
    # extraction sees calls inside f-strings, both literal branches and literal loops
    assert {"heading", "intro", "decision_granted", "decision_refused", "brush.count",
            "whatif.contrib_change", "points_unit", "points_unit_plural"} <= set(used)


def test_french_and_english_have_the_same_keys_and_placeholders(po):
    fr, en = po["fr"], po["en"]
    assert fr.keys() == en.keys()
    mismatched = {k for k in fr if T.placeholders(fr[k]) != T.placeholders(en[k])}
    assert not mismatched
    assert T.placeholders("Client {client_id} : {value:.1f}") == {"client_id", "value"}
    assert T.placeholders("{broken") == {"{"}


def test_keys_built_at_run_time_are_declared():
    from bokeh_app.layout import MODEL_SECTION
    from bokeh_app.panels import PANEL_CLASSES
    from scoring.model.decision import RISK_LEVEL_KEYS
    from scoring.service.population import GROUPS

    declared = set(i18n.DYNAMIC_KEYS)
    assert {f"risk_{k}" for k in RISK_LEVEL_KEYS} <= declared
    assert {f"section_{k}" for k, _ in (*PANEL_CLASSES, MODEL_SECTION)} <= declared
    assert {f"group.{g}" for g in GROUPS} <= declared
    subgroups = {g for g in GROUPS if g != "granted_refused"} | {"granted", "refused"}
    assert {f"subgroup.{g}" for g in subgroups} <= set(T.used_keys())
    # layout keeps message keys in a variable: every "msg_…" literal of the app is declared
    literals = {node.value for path in Path(i18n.__file__).parent.glob("*.py")
                for node in ast.walk(ast.parse(path.read_text()))
                if isinstance(node, ast.Constant) and isinstance(node.value, str)
                and re.fullmatch(r"msg_[a-z_]+", node.value)}
    assert literals and literals <= set(T.used_keys())


def test_runtime_reads_the_compiled_catalogues():
    assert i18n.LANGS[0] == i18n.DEFAULT_LANG == "fr" and "en" in i18n.LANGS
    assert i18n.LANG_NAMES == {"fr": "Français", "en": "English"}
    assert i18n.t("score_heading") == "Score et décision"
    assert i18n.t("compare.title", "en") == "Compared with other clients"
    assert i18n.t("msg_opened", "en", client_id=100002) == "Client 100002 shown."
    assert i18n.t("whatif.before", "de") == "Avant"  # a language we do not speak: French
    assert i18n.check_lang(None) == "fr" and i18n.check_lang("en") == "en"
    with pytest.raises(KeyError):
        i18n.t("no_such_key", "fr")  # never the key itself on screen
    assert i18n.messages("en")["decision_refused"] == "Credit refused"


def test_mo_files_hold_exactly_their_po():
    for lang in T.catalogue_langs():
        catalog = T.read_catalogue(T.po_path(lang), lang)
        assert T.mo_matches_po(T.po_path(lang).with_suffix(".mo"), catalog), lang
        assert T.translations(catalog) == i18n.Catalogues().texts[lang]


def test_the_tools_are_idempotent_on_the_committed_files(tmp_path):
    """extract + update + compile on a copy change nothing: the committed files are their output."""
    locale = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, locale)
    args = ["--locale-dir", str(locale)]
    for action in ("extract", "update", "compile", "check"):
        assert cli_main(["i18n", action, *args]) == 0, action

    def content(path: Path) -> list[tuple]:  # not the header (dates), comments nor locations
        return [(m.id, m.string, sorted(m.flags)) for m in T.read_catalogue(path) if m.id]

    assert content(T.pot_path(locale)) == content(T.pot_path(i18n.LOCALE_DIR))
    for lang in T.catalogue_langs():
        assert content(T.po_path(lang, locale)) == content(T.po_path(lang))


def test_a_translator_adds_a_language_with_a_po_file_only(tmp_path):
    locale = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, locale)
    assert cli_main(["i18n", "init", "--lang", "de", "--locale-dir", str(locale)]) == 0
    catalog = T.read_catalogue(T.po_path("de", locale), "de")
    english = i18n.messages("en")
    assert {m.id for m in catalog if m.id} == set(english)
    assert all(not m.string for m in catalog if m.id)
    # the translator's work: every msgstr, placeholders kept (one left for later)
    for message in catalog:
        if message.id and message.id != "whatif.reset":
            message.string = "DE " + english[message.id]
    T._write_po(catalog, T.po_path("de", locale))
    T.compile_all(locale)
    assert T.check(locale) == ["de: 'whatif.reset' has no translation"]

    loaded = i18n.Catalogues(locale)
    assert loaded.langs == ("fr", "de", "en") and loaded.names["de"] == "Deutsch"
    assert loaded.t("msg_opened", "de", client_id=7) == "DE Client 7 shown."
    assert loaded.t("whatif.reset", "de") == "Réinitialiser"  # untranslated: the default language
    assert i18n.fmt_number(1234.5, "de", 1) == f"1{NNBSP}234,5"  # not offered here: French


def test_the_catalogue_folder_must_hold_the_default_language(tmp_path):
    with pytest.raises(FileNotFoundError, match="i18n compile"):
        i18n.Catalogues(tmp_path)


def test_dashboard_formatters_use_the_shared_ones_and_the_catalogue_words():
    assert i18n.fmt_number(1234567.5, "fr", 1) == f"1{NNBSP}234{NNBSP}567,5"
    assert i18n.fmt_number(None, "fr") == "non renseigné"
    assert i18n.fmt_percent(float("nan"), "en") == "not provided"
    assert i18n.fmt_percent(0.1234, "xx") == f"12,3{NNBSP}%"  # unknown language: French
    assert i18n.fmt_signed(-0.0004, "fr", 3) == "0,000" and i18n.fmt_signed(-0.5, "en") == f"{MINUS}0.50"
    assert i18n.fmt_currency(-1500, "en") == f"{MINUS}€1,500"
    assert i18n.fmt_date("2024-03-05", "fr") == "5 mars 2024" and i18n.fmt_date("soon", "en") == "soon"
    assert i18n.fmt_points(1.5, "fr") == "1,5 point de pourcentage"
    assert i18n.fmt_points(2.0, "fr") == "2,0 points de pourcentage"
    assert i18n.fmt_points(-1.0, "en") == "1.0 percentage points"  # CLDR: "1.0" is plural
    assert i18n.risk_label(6, "en") == "very high"
