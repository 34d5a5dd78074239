"""The dashboard's words and numbers in the advisor's language (French by default).

Every user-facing string lives in one gettext catalogue domain, `dashboard`:
`locale/<lang>/LC_MESSAGES/dashboard.po`, compiled to `.mo` by Babel
(`python main.py i18n compile`). Message ids are keys ("score_heading",
"compare.title"): French and English are both translations, and a language is
offered as soon as its compiled catalogue exists, so a translator adds one
without touching code (see `bokeh_app/i18n_tools.py`).

Numbers, percentages, amounts and dates come from `scoring.text.formatting`
(Babel/CLDR), shared with the API; the wrappers here only resolve the
language and say "non renseigné" in the catalogue's words.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.mofile import read_mo

from scoring.text import formatting

DEFAULT_LANG = "fr"
DOMAIN = "dashboard"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def N_(key: str) -> str:  # noqa: N802 - the gettext name for "mark for extraction only"
    """Mark a key the code builds at run time, so that extraction knows it."""
    return key


#: Keys built at run time (f"risk_{level}", f"section_{key}", f"group.{g}", a variable...):
#: listed so that `i18n extract` keeps them and the tests check them.
DYNAMIC_KEYS = (
    # scoring.service.protocol.RISK_LEVEL_KEYS, through risk_label
    N_("risk_very_low"), N_("risk_low"), N_("risk_rather_low"), N_("risk_moderate"),
    N_("risk_rather_high"), N_("risk_high"), N_("risk_very_high"),
    # sections.Section.label: f"section_{key}" for the sections below the first screen
    N_("section_compare"), N_("section_explore"), N_("section_whatif"), N_("section_model"),
    N_("section_monitoring"),
    # layout.Dashboard messages (a key kept in self.message_key)
    N_("msg_ready"), N_("msg_opened"), N_("msg_unknown"), N_("msg_not_a_number"),
    N_("msg_empty"), N_("msg_service_error"),
    # panels_compare: f"group.{g}" for scoring.service.population.GROUPS, f"subgroup.{key}"
    N_("group.all"), N_("group.gender"), N_("group.age_band"), N_("group.similar"),
    N_("group.granted_refused"),
    N_("subgroup.all"), N_("subgroup.gender"), N_("subgroup.granted"), N_("subgroup.refused"),
    # panels_compare._summary: f"compare.summary{suffix}" and f"compare.summary{suffix}_two"
    N_("compare.summary"), N_("compare.summary_cat"), N_("compare.summary_two"),
    N_("compare.summary_cat_two"),
)


def mo_path(lang: str, locale_dir: Path = LOCALE_DIR) -> Path:
    return locale_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"


def available_languages(locale_dir: Path = LOCALE_DIR) -> tuple[str, ...]:
    """Languages with a compiled catalogue: the default first, then by code."""
    found = {p.parent.parent.name for p in locale_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")}
    return tuple(sorted(found, key=lambda lang: (lang != DEFAULT_LANG, lang)))


def language_name(lang: str) -> str:
    """The language's name in that language, from CLDR: "Français", "English", "Deutsch"."""
    name = Locale.parse(lang).get_display_name(lang) or lang
    return name[:1].upper() + name[1:]


class Catalogues:
    """The compiled catalogues of one locale folder, read once.

    A message missing from a language falls back to the default language; a key
    missing from the default language too is a KeyError (gettext would silently
    show the key, which here is never a readable text).
    """

    def __init__(self, locale_dir: Path = LOCALE_DIR):
        self.locale_dir = locale_dir
        self.langs = available_languages(locale_dir)
        if DEFAULT_LANG not in self.langs:
            raise FileNotFoundError(
                f"no {mo_path(DEFAULT_LANG, locale_dir)}: run `python main.py i18n compile`")
        default = self._read(DEFAULT_LANG)
        self.texts = {lang: default if lang == DEFAULT_LANG else {**default, **self._read(lang)}
                      for lang in self.langs}
        self.names = {lang: language_name(lang) for lang in self.langs}

    def _read(self, lang: str) -> dict[str, str]:
        with mo_path(lang, self.locale_dir).open("rb") as fh:
            catalog = read_mo(fh)
        return {m.id: m.string for m in catalog if m.id and isinstance(m.string, str) and m.string}

    def check_lang(self, lang: str | None) -> str:
        return lang if lang in self.texts else DEFAULT_LANG

    def t(self, key: str, lang: str | None = DEFAULT_LANG, **values: Any) -> str:
        text = self.texts[self.check_lang(lang)][key]
        return text.format(**values) if values else text


@cache
def catalogues(locale_dir: Path = LOCALE_DIR) -> Catalogues:
    """The catalogues of `locale_dir`, loaded once per process (read-only afterwards)."""
    return Catalogues(locale_dir)


#: The languages offered (those with a compiled catalogue), the default first.
LANGS = available_languages()
#: Options of the language selector: code -> name written in that language.
LANG_NAMES = {lang: language_name(lang) for lang in LANGS}


def check_lang(lang: str | None) -> str:
    """The language code itself, or the default when it is not one we speak."""
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, lang: str | None = DEFAULT_LANG, **values: Any) -> str:
    """The message `key` in `lang`, with `{placeholders}` filled from `values`."""
    return catalogues().t(key, lang, **values)


def messages(lang: str = DEFAULT_LANG) -> dict[str, str]:
    """Every message of a language (key -> text), e.g. for tests."""
    return dict(catalogues().texts[check_lang(lang)])


# --------------------------------------------------------------------------- formatters

def fmt_number(value: float | None, lang: str | None = DEFAULT_LANG, digits: int = 0) -> str:
    """FR "1 234 567,5", EN "1,234,567.5"; "−1"; never "−0"; None/NaN in words."""
    lang = check_lang(lang)
    if formatting.is_missing(value):
        return t("missing_value", lang)
    return formatting.format_number(value, lang, digits)


def fmt_signed(value: float, lang: str | None = DEFAULT_LANG, digits: int = 2) -> str:
    """An explicit sign (+ / −), so direction never relies on colour; "0,00" has none."""
    lang = check_lang(lang)
    if formatting.is_missing(value):
        return t("missing_value", lang)
    return formatting.format_signed(value, lang, digits)


def fmt_percent(probability: float | None, lang: str | None = DEFAULT_LANG, digits: int = 1) -> str:
    """A probability or share in [0, 1] as a percentage: "12,3 %" / "12.3%"."""
    lang = check_lang(lang)
    if formatting.is_missing(probability):
        return t("missing_value", lang)
    return formatting.format_percent(probability, lang, digits)


def fmt_currency(amount: float | None, lang: str | None = DEFAULT_LANG, digits: int = 0) -> str:
    """An amount in euros: "12 345 €" / "€12,345"."""
    lang = check_lang(lang)
    if formatting.is_missing(amount):
        return t("missing_value", lang)
    return formatting.format_currency(amount, lang, digits)


def fmt_date(value: Any, lang: str | None = DEFAULT_LANG) -> str:
    """A date in words: "5 mars 2024" / "Mar 5, 2024" (a text that is no ISO date is kept)."""
    lang = check_lang(lang)
    if value is None or value == "":
        return t("missing_value", lang)
    try:
        return formatting.format_date(value, lang)
    except ValueError:
        return str(value)


def fmt_points(points: float, lang: str | None = DEFAULT_LANG) -> str:
    """An unsigned distance in percentage points; singular or plural by the language's CLDR rule
    ("1,5 point" in French, "1.0 points" in English)."""
    lang = check_lang(lang)
    one = formatting.plural_category(points, lang, 1) == "one"
    return t("points_unit" if one else "points_unit_plural", lang, value=fmt_number(abs(points), lang, 1))


def fmt_score(points: float, lang: str | None = DEFAULT_LANG, signed: bool = False, unit: bool = True) -> str:
    """A score to the unit ("551 points", "1 point"), or with `signed` a contribution with its sign,
    so that the direction never relies on colour: "−28 points", "+4,5 points" (one decimal under 10);
    without `unit`, the number alone (a chart's bar, whose axis names the unit)."""
    lang = check_lang(lang)
    digits = 1 if signed and abs(points) < 9.95 else 0
    number = fmt_signed(points, lang, digits) if signed else fmt_number(points, lang, digits)
    if not unit:
        return number
    one = formatting.plural_category(points, lang, digits) == "one"
    return t("score_points_one" if one else "score_points_other", lang, value=number)


def risk_label(level: int, lang: str | None = DEFAULT_LANG) -> str:
    """The words for risk level 0..6."""
    from scoring.service.protocol import RISK_LEVEL_KEYS

    return t(f"risk_{RISK_LEVEL_KEYS[level]}", lang)
