"""The population sections every served session offers below the first screen.

Each factory builds a panel for one session from the shared, read-only
population; the panels own their Bokeh models.
"""

from __future__ import annotations

from typing import Any

from bokeh_app.panels_compare import ComparePanel
from bokeh_app.panels_scatter import ScatterPanel
from bokeh_app.panels_whatif import WhatIfPanel
from scoring.service.population import Population

#: Section key -> panel class, in page order (the keys name the sections' titles in i18n).
PANEL_CLASSES = (("compare", ComparePanel), ("explore", ScatterPanel), ("whatif", WhatIfPanel))


def population_sections(population: Population) -> list[tuple[str, Any]]:
    """`(key, factory)` for the comparison, scatter and what-if sections; each factory
    `(client, lang) -> panel` is called only when an advisor first opens its section."""
    return [(key, lambda client, lang, cls=cls: cls(client, population, lang))
            for key, cls in PANEL_CLASSES]
