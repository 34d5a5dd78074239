"""The two languages every service answer and message comes in: French by default, English."""

from __future__ import annotations

LANGS = ("fr", "en")


def lang_index(lang: str) -> int:
    """0 for French (the default), 1 for English: the index into (FR, EN) text pairs."""
    return 1 if str(lang).lower().startswith("en") else 0


def norm_lang(lang: str) -> str:
    """"en" for any English tag, else "fr" (the catalogue takes exactly one of the two)."""
    return LANGS[lang_index(lang)]


def pick(pair: tuple[str, str], lang: str, **values: object) -> str:
    """The FR or EN text of a pair, with its placeholders filled in."""
    return pair[lang_index(lang)].format(**values)
