"""A new session: parse its URL, build its document (or the "run the pipeline" page).

`main.py` calls `open_session` for every session Bokeh opens; tests and
benchmarks call `build_document` directly with their own client.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from bokeh.document import Document
from bokeh.models import Div
from bokeh.themes import Theme

from bokeh_app import views
from bokeh_app.i18n import DEFAULT_LANG, LANG_NAMES, check_lang, t
from bokeh_app.layout import MODEL_SECTION, THEME_PATH, Dashboard
from bokeh_app.panel_base import TEXT_SCALES, widget_css
from bokeh_app.sections import PanelFactory
from bokeh_app.store import BUILD_COMMAND, ClientIndex
from scoring.errors import UserError
from scoring.service.protocol import ScoringClient

log = logging.getLogger("scoring.dashboard")

_THEME: Theme | None = None


def apply_theme(doc: Document) -> None:
    """The app theme (directory apps get it from theme.yaml too; tests build documents directly).

    Parsed once per process: Bokeh themes are immutable and safe to share.
    """
    global _THEME
    if _THEME is None:
        _THEME = Theme(filename=str(THEME_PATH))
    doc.theme = _THEME


def build_document(doc: Document, client: ScoringClient, *, index: ClientIndex | None = None,
                   lang: str = DEFAULT_LANG, client_id: str | int | None = None,
                   text_scale: int = 100,
                   sections: Sequence[tuple[str, PanelFactory]] = ()) -> Dashboard:
    """Fill `doc` with a new session's dashboard; open `client_id` if given (e.g. from ?client=).

    `sections` are `(key, factory)` pairs of the panels below the first screen (see
    `sections.Section`), each built for this session only when first opened; the
    "about the model" section is always added last.
    """
    apply_theme(doc)
    if index is None:
        index = ClientIndex(client.client_ids())
    dash = Dashboard(doc, client, index, lang=lang, text_scale=text_scale,
                     sections=[*sections, MODEL_SECTION])
    with doc.models.freeze():  # one model-graph walk for all roots instead of one per root
        for name in dash.roots:
            doc.add_root(dash.roots[name])
    if client_id not in (None, ""):
        dash.open_client(str(client_id))
    return dash


def build_error_document(doc: Document, error: BaseException, lang: str = DEFAULT_LANG) -> Div:
    """The page shown when artefacts are missing: what is wrong and the command that fixes it."""
    apply_theme(doc)
    lang = check_lang(lang)
    doc.title = t("page_title", lang)
    doc.template_variables["lang"] = lang
    detail = str(error) if isinstance(error, UserError) else type(error).__name__
    div = Div(
        text=(f'<h1>{views.esc(t("heading", lang))}</h1>'
              f'<p class="message-error">{views.esc(t("msg_artefacts_missing", lang))}</p>'
              f'<p>{views.esc(t("msg_artefacts_command", lang, command=""))}'
              f"<code>{views.esc(BUILD_COMMAND)}</code></p>"
              f'<p class="muted">{views.esc(t("msg_artefacts_detail", lang, detail=detail))}</p>'),
        name="controls", sizing_mode="stretch_width", stylesheets=[widget_css()],
        html_attributes={"role": "alert"})
    doc.add_root(div)
    return div


def url_arguments(arguments: dict[str, list[bytes]]) -> dict[str, Any]:
    """`?client=100002&lang=en&text=150` -> build_document keyword arguments (bad values dropped)."""
    def first(name: str) -> str | None:
        values = arguments.get(name) or []
        if not values:
            return None
        v = values[0]
        return (v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)).strip()

    out: dict[str, Any] = {}
    if (client := first("client")):
        out["client_id"] = client
    if (lang := first("lang")) in LANG_NAMES:
        out["lang"] = lang
    if (text := first("text")) and text.isdigit() and int(text) in TEXT_SCALES:
        out["text_scale"] = int(text)
    return out


def open_session(doc: Document, arguments: dict[str, list[bytes]],
                 sections: Sequence[tuple[str, PanelFactory]] | None = None, *,
                 user: str | None = None) -> Dashboard | Div:
    """What main.py does for each new session: the dashboard, or the "run the pipeline" page.
    The session uses the shared client as its signed-in `user` (`for_user`): what it scores and
    which clients it opens are logged under that name."""
    from bokeh_app import store

    kwargs = url_arguments(arguments)
    try:
        shared = store.shared()
    except Exception as exc:  # noqa: BLE001 - shown on the page, not as a stack trace
        if not isinstance(exc, UserError):
            log.exception("dashboard could not load its data")
        return build_error_document(doc, exc, kwargs.get("lang", DEFAULT_LANG))
    if sections is None:
        sections = []
        if shared.population is not None:
            from bokeh_app.panels import population_sections

            sections = population_sections(shared.population)
    return build_document(doc, shared.client.for_user(user), index=shared.index, sections=sections, **kwargs)
