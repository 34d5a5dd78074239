"""The sections below the first screen, each built and sent only when an advisor opens it.

The first screen (search, decision, gauge, principal reasons) must appear in
about a second; the comparison, the data team's scatter, the what-if form and
the model details are heavier and not needed by every meeting. Each is a
disclosure: a real button (keyboard, screen readers) that says in words
whether the section is shown, and a content column that stays empty until the
section is first opened. Then its panel is built for this session with the
current client, language and text size, and kept while the session lives.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from bokeh.layouts import column
from bokeh.models import Button

from bokeh_app.i18n import t
from scoring.service.protocol import ScoringClient

log = logging.getLogger("scoring.dashboard")


class Panel(Protocol):
    """What a section's panel offers the dashboard.

    Built per session by a factory `(client, lang) -> Panel`; the dashboard tells it
    which client is open, the language and the text scale (1.0 .. 2.0).
    """

    layout: Any

    def set_client(self, client_id: int) -> None: ...

    def set_language(self, lang: str) -> None: ...

    def set_text_scale(self, scale: float) -> None: ...


PanelFactory = Callable[[ScoringClient, str], Panel]


class Section:
    """One disclosure: a button that shows or hides a lazily built panel."""

    def __init__(self, key: str, factory: PanelFactory, stylesheets: list[Any]):
        self.key = key
        self.factory = factory
        self.panel: Panel | None = None
        self.is_open = False
        self.button = Button(button_type="light", stylesheets=stylesheets, sizing_mode="stretch_width",
                             css_classes=["section-toggle"])
        self.content = column(sizing_mode="stretch_width", visible=False)
        self.layout = column(self.button, self.content, name=f"section_{key}", sizing_mode="stretch_width",
                             css_classes=["panel-box"])

    def label(self, lang: str) -> str:
        """"▸ Compare … (show)" / "▾ Compare … (hide)": the state is in words, not only the arrow."""
        action = t("section_hide" if self.is_open else "section_show", lang)
        arrow = "▾" if self.is_open else "▸"
        return f"{arrow} {t(f'section_{self.key}', lang)} ({action})"

    def open(self, client: ScoringClient, lang: str, scale: float, client_id: int | None) -> None:
        """Show the section, building its panel for the current state on first use."""
        if self.panel is None:
            panel = self.factory(client, lang)
            if scale != 1.0:
                panel.set_text_scale(scale)
            if client_id is not None:
                panel.set_client(client_id)
            self.panel = panel
            self.content.children = [panel.layout]
        self.is_open = True
        self.content.visible = True
        self.button.label = self.label(lang)

    def close(self, lang: str) -> None:
        """Hide the section; its panel is kept and reopens instantly."""
        self.is_open = False
        self.content.visible = False
        self.button.label = self.label(lang)

    def forward(self, method: str, value: Any) -> None:
        """Pass a change to the panel if it was built; a failing panel never breaks the page."""
        if self.panel is None:
            return
        try:
            getattr(self.panel, method)(value)
        except Exception:  # noqa: BLE001
            log.exception("section %s: %s failed", self.key, method)
