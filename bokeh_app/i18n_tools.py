"""Maintain the dashboard's gettext catalogues with Babel: `python main.py i18n ACTION`.

- ``extract``: collect every message key the code uses into ``locale/dashboard.pot``;
- ``update``: merge the template into each ``locale/<lang>/LC_MESSAGES/dashboard.po``;
- ``init --lang xx``: start the catalogue of a new language from the template;
- ``compile``: write each ``.mo`` next to its ``.po`` (the dashboard reads the ``.mo``);
- ``check``: list what is missing, empty, fuzzy, stale or inconsistent (exit 1 if anything).

Message ids are keys ("score_heading", "compare.title"), not English text, so the
French and English texts are both translations, and the template carries the
English text as a comment for translators. Keys are found by Babel's extraction
with `extract_keys` (an AST walk: it also sees calls inside f-strings and the
literal branches of `t("a" if x else "b")`); keys built at run time are declared
with `N_` in `bokeh_app/i18n.py`.
"""

from __future__ import annotations

import argparse
import ast
import io
import string
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from bokeh_app.i18n import DEFAULT_LANG, DOMAIN, LOCALE_DIR

APP_DIR = Path(__file__).resolve().parent
#: Functions whose first argument is a message key.
KEYWORDS = {"t": None, "N_": None}
PROJECT = "Prêt à dépenser dashboard"
HEADER = ("# Messages of the Prêt à dépenser advisors' dashboard.\n"
          "# Message ids are keys: translate each msgstr and keep every {placeholder}.\n"
          "# Tools: python main.py i18n extract|update|init|compile|check (bokeh_app/i18n_tools.py).")
#: Header fields of every catalogue this module creates.
CATALOG_FIELDS: dict[str, Any] = {
    "domain": DOMAIN, "project": PROJECT, "version": "1", "header_comment": HEADER,
    "copyright_holder": "Prêt à dépenser", "fuzzy": False,
}
#: The language whose text goes into the template as a hint for translators.
HINT_LANG = "en"


# --------------------------------------------------------------------------- extraction

def _strings(node: ast.AST, env: dict[str, list[str]]) -> list[str] | None:
    """The literal keys an argument can take, or None when it is built at run time."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _strings(node.body, env), _strings(node.orelse, env)
        return body + orelse if body is not None and orelse is not None else None
    if isinstance(node, ast.Name):
        return env.get(node.id)
    return None


def _loop_env(target: ast.AST, iterable: ast.AST, env: dict[str, list[str]]) -> dict[str, list[str]]:
    """`for k in ("a", "b")`: inside the loop, `k` is one of those literals."""
    if isinstance(target, ast.Name) and isinstance(iterable, ast.Tuple | ast.List):
        values = [_strings(e, {}) for e in iterable.elts]
        if values and all(v is not None for v in values):
            return {**env, target.id: [s for v in values for s in v]}
    return env


def _calls(node: ast.AST, names: set[str], env: dict[str, list[str]]) -> Iterator[tuple[int, str, str]]:
    if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
        for gen in node.generators:
            env = _loop_env(gen.target, gen.iter, env)
    elif isinstance(node, ast.For):
        env = _loop_env(node.target, node.iter, env)
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        name = (func.id if isinstance(func, ast.Name)
                else func.attr if isinstance(func, ast.Attribute) else None)
        if name in names:
            for key in _strings(node.args[0], env) or ():
                yield node.lineno, name, key
    for child in ast.iter_child_nodes(node):
        yield from _calls(child, names, env)


def extract_keys(fileobj: Any, keywords: Iterable[str], comment_tags: Any,
                 options: dict[str, Any]) -> Iterator[tuple[int, str, str, list[str]]]:
    """A Babel extraction method for Python files: `t("key")` / `N_("key")` calls."""
    tree = ast.parse(fileobj.read().decode(options.get("encoding", "utf-8")))
    for lineno, funcname, key in _calls(tree, set(keywords), {}):
        yield lineno, funcname, key, []


def used_keys(source_dir: Path = APP_DIR) -> dict[str, list[str]]:
    """Every key the dashboard's code uses -> the files that use it."""
    found: dict[str, list[str]] = {}
    method = f"{__name__}:extract_keys"
    for filename, _lineno, key, _comments, _context in extract_from_dir(
            str(source_dir), method_map=[("**.py", method)], keywords=KEYWORDS):
        found.setdefault(key, [])
        if filename not in found[key]:
            found[key].append(filename)
    return found


# --------------------------------------------------------------------------- files

def po_path(lang: str, locale_dir: Path = LOCALE_DIR) -> Path:
    return locale_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def pot_path(locale_dir: Path = LOCALE_DIR) -> Path:
    return locale_dir / f"{DOMAIN}.pot"


def catalogue_langs(locale_dir: Path = LOCALE_DIR) -> list[str]:
    """Languages that have a .po file (the source the .mo files are compiled from)."""
    return sorted(p.parent.parent.name for p in locale_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def read_catalogue(path: Path, lang: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=lang, domain=DOMAIN)


def _write_po(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, include_lineno=False, ignore_obsolete=True)
    path.write_bytes(buffer.getvalue())


def compiled(catalog: Catalog) -> bytes:
    """The .mo bytes of a catalogue (fuzzy entries left out, as gettext does)."""
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def translations(catalog: Catalog) -> dict[str, str]:
    """key -> text of every translated, non-fuzzy message: what a .mo must hold."""
    return {m.id: m.string for m in catalog
            if m.id and isinstance(m.string, str) and m.string and not m.fuzzy}


def mo_matches_po(mo: Path, catalog: Catalog) -> bool:
    """The .mo holds exactly the .po's translations (compared by content, not bytes, so
    that Babel's version in the header does not matter)."""
    if not mo.exists():
        return False
    with mo.open("rb") as fh:
        return translations(read_mo(fh)) == translations(catalog)


def placeholders(text: str) -> set[str]:
    """The `{names}` a message is formatted with ("{" alone: a malformed message)."""
    try:
        return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    except ValueError:
        return {"{"}


def _flag_braces(catalog: Catalog) -> None:
    for message in catalog:
        if message.id and isinstance(message.string, str) and placeholders(message.string):
            message.flags.add("python-brace-format")


# --------------------------------------------------------------------------- actions

def extract(source_dir: Path = APP_DIR, locale_dir: Path = LOCALE_DIR) -> Catalog:
    """Write the template of every key the code uses; return it."""
    hints: dict[str, str] = {}
    if po_path(HINT_LANG, locale_dir).exists():
        hints = {m.id: m.string for m in read_catalogue(po_path(HINT_LANG, locale_dir)) if m.id}
    template = Catalog(**CATALOG_FIELDS)
    for key, files in used_keys(source_dir).items():
        hint = hints.get(key)
        comments = [f"{HINT_LANG}: {hint}"] if hint else []
        locations = [(f"{source_dir.name}/{f}", None) for f in files]
        template.add(key, locations=locations, auto_comments=comments)
    if _content(template) != _content(_read_template(locale_dir)):
        _write_po(template, pot_path(locale_dir))  # unchanged keys keep the file (and its date)
    return template


def _read_template(locale_dir: Path, required: bool = False) -> Catalog | None:
    if not pot_path(locale_dir).exists():
        if required:
            raise FileNotFoundError(f"no {pot_path(locale_dir)}: run `python main.py i18n extract` first")
        return None
    with pot_path(locale_dir).open("rb") as fh:
        return read_po(fh, domain=DOMAIN)


def _content(catalog: Catalog | None) -> list[tuple[Any, ...]]:
    if catalog is None:
        return []
    # comments compared as words: write_po wraps a long comment over several "#." lines
    return [(m.id, " ".join(m.auto_comments).split(), sorted(m.locations)) for m in catalog if m.id]


def update(locale_dir: Path = LOCALE_DIR) -> list[str]:
    """Merge the template into every .po: new keys appear untranslated, dropped keys go."""
    template = _read_template(locale_dir, required=True)
    langs = catalogue_langs(locale_dir)
    for lang in langs:
        catalog = read_catalogue(po_path(lang, locale_dir), lang)
        catalog.update(template, no_fuzzy_matching=True)
        _flag_braces(catalog)
        _write_po(catalog, po_path(lang, locale_dir))
    return langs


def init(lang: str, locale_dir: Path = LOCALE_DIR) -> Path:
    """Start the catalogue of a new language from the template (every text to translate)."""
    try:
        Locale.parse(lang)  # fails early on a code Babel does not know
    except (UnknownLocaleError, ValueError) as exc:
        raise ValueError(f"unknown language code {lang!r}") from exc
    path = po_path(lang, locale_dir)
    if path.exists():
        raise FileExistsError(f"{path} exists: use `update`")
    template = _read_template(locale_dir, required=True)
    catalog = Catalog(locale=lang, **CATALOG_FIELDS)
    catalog.update(template, no_fuzzy_matching=True)
    _write_po(catalog, path)
    return path


def compile_all(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Write every .mo from its .po."""
    written = []
    for lang in catalogue_langs(locale_dir):
        po = po_path(lang, locale_dir)
        po.with_suffix(".mo").write_bytes(compiled(read_catalogue(po, lang)))
        written.append(po.with_suffix(".mo"))
    return written


def check(locale_dir: Path = LOCALE_DIR, source_dir: Path = APP_DIR) -> list[str]:
    """Every problem a translator or developer must fix; empty when all is well."""
    problems = []
    used = set(used_keys(source_dir))
    catalogs = {lang: read_catalogue(po_path(lang, locale_dir), lang)
                for lang in catalogue_langs(locale_dir)}
    if DEFAULT_LANG not in catalogs:
        return [f"no catalogue for the default language {DEFAULT_LANG!r}"]
    reference = {m.id: m.string for m in catalogs[DEFAULT_LANG] if m.id}
    template = _read_template(locale_dir)
    if template is None or {m.id for m in template if m.id} != used:
        problems.append(f"{pot_path(locale_dir).name} is not up to date (run `i18n extract`)")
    for lang, catalog in catalogs.items():
        texts = {m.id: m.string for m in catalog if m.id}
        problems += [f"{lang}: {key!r} is used but missing" for key in sorted(used - set(texts))]
        problems += [f"{lang}: {key!r} is not used by the code" for key in sorted(set(texts) - used)]
        for message in catalog:
            if not message.id:
                continue
            if not (isinstance(message.string, str) and message.string.strip()):
                problems.append(f"{lang}: {message.id!r} has no translation")
            elif message.fuzzy:
                problems.append(f"{lang}: {message.id!r} is fuzzy")
            elif placeholders(message.string) != placeholders(reference.get(message.id, "")):
                problems.append(f"{lang}: {message.id!r} placeholders differ from {DEFAULT_LANG}")
        mo = po_path(lang, locale_dir).with_suffix(".mo")
        if not mo_matches_po(mo, catalog):
            problems.append(f"{lang}: {mo.name} is not the compiled .po (run `i18n compile`)")
    return problems


def cli_i18n(args: argparse.Namespace, paths: Any) -> int:
    """Handler of `python main.py i18n`."""
    from scoring.errors import UserError

    try:
        return _run(args.action, args.locale_dir or LOCALE_DIR, args.lang)
    except (FileNotFoundError, FileExistsError, ValueError) as exc:
        raise UserError(str(exc)) from exc


def _run(action: str, locale_dir: Path, lang: str | None) -> int:
    from scoring.errors import UserError
    from scoring.progress import log

    if action == "extract":
        template = extract(locale_dir=locale_dir)
        log.info("%d keys -> %s", len(template), pot_path(locale_dir))
    elif action == "update":
        log.info("updated: %s", ", ".join(update(locale_dir)))
    elif action == "init":
        if not lang:
            raise UserError("i18n init needs --lang, e.g. --lang de")
        log.info("created %s: translate every msgstr, then run `i18n compile`", init(lang, locale_dir))
    elif action == "compile":
        for path in compile_all(locale_dir):
            log.info("compiled %s", path)
    problems = check(locale_dir) if action in ("check", "compile") else []
    for problem in problems:
        log.warning("%s", problem)
    if action == "check" and not problems:
        log.info("catalogues complete: %s", ", ".join(catalogue_langs(locale_dir)))
    return 1 if problems and action == "check" else 0
