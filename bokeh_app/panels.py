"""The extra panels every served session gets below the core dashboard.

Each factory builds a panel for one session from the shared, read-only
population; the panels own their Bokeh models.
"""

from __future__ import annotations

from typing import Any

from bokeh_app.panels_compare import ComparePanel
from bokeh_app.panels_scatter import ScatterPanel
from bokeh_app.panels_whatif import WhatIfPanel
from scoring.service.population import Population

PANEL_CLASSES = (ComparePanel, ScatterPanel, WhatIfPanel)


def population_panels(population: Population) -> list[Any]:
    """Per-session factories `(client, lang) -> panel` for the comparison, scatter and what-if panels."""
    return [
        (lambda client, lang, cls=cls: cls(client, population, lang))
        for cls in PANEL_CLASSES
    ]
